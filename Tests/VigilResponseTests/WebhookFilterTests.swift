import Foundation
import Testing
import VigilConfig
import VigilCore
import VigilResponse

@Suite("Which notifications an endpoint gets")
struct WebhookFilterTests {
    static func parse(_ yaml: String) -> (settings: [WebhookSettings], problems: [String]) {
        let reader = ConfigReader(file: "correlator.yaml")
        guard let root = reader.root(yaml), let list = root.child("webhooks") else { return ([], ["no webhooks"]) }
        let settings = WebhookSettings.parse(list)
        return (settings, reader.diagnostics.map { "line \($0.line ?? 0): \($0.problem)" })
    }

    static func note(
        _ kind: WebhookNotification.Kind, level: ResponseLevel?, category: String?, departments: [String] = ["人口处"]
    ) -> WebhookNotification {
        WebhookNotification(
            id: "n", kind: kind, title: "t", level: .high, responseLevel: level,
            category: category.map { .init(code: $0) }, summary: "s", time: 0, departments: departments)
    }

    @Test(
        "min_response_level, categories, kinds and departments each narrow what an endpoint receives; a test message always goes"
    )
    func filters() throws {
        let (settings, problems) = Self.parse(
            """
            webhooks:
              - name: everything
                format: slack
                url: https://127.0.0.1/hooks/a
              - name: serious-data
                format: slack
                url: https://127.0.0.1/hooks/b
                min_response_level: III
                categories: [dsi]
                kinds: [ticket.opened, deadline.missed]
                departments: [人口处, 社保局]
            """)
        #expect(problems.isEmpty, "\(problems)")
        let (all, narrow) = (try #require(settings.first), try #require(settings.last))
        let opened = Self.note(.ticketOpened, level: .ii, category: "dsi-leak")
        #expect(all.accepts(opened) && narrow.accepts(opened))
        #expect(!narrow.accepts(Self.note(.ticketOpened, level: .iv, category: "dsi-leak")), "level IV < III")
        #expect(!narrow.accepts(Self.note(.ticketOpened, level: .ii, category: "nai")), "another category")
        let approaching = Self.note(.deadlineApproaching, level: .ii, category: "dsi")
        #expect(all.accepts(approaching) && !narrow.accepts(approaching), "a kind not listed")
        #expect(narrow.accepts(Self.note(.deadlineMissed, level: .i, category: "dsi")))
        let elsewhere = Self.note(.ticketOpened, level: .ii, category: "dsi", departments: ["交通局"])
        #expect(all.accepts(elsewhere) && !narrow.accepts(elsewhere), "another department")
        #expect(narrow.accepts(Self.note(.ticketOpened, level: .ii, category: "dsi", departments: ["交通局", "社保局"])))
        #expect(!narrow.accepts(Self.note(.ticketOpened, level: .ii, category: "dsi", departments: [])))
        #expect(narrow.accepts(Self.note(.test, level: nil, category: nil)))
    }

    @Test("an unknown kind is an error naming the line and the kinds there are; the endpoint is still read")
    func unknownKind() {
        let (settings, problems) = Self.parse(
            """
            webhooks:
              - name: duty
                format: slack
                url: https://127.0.0.1/hooks/a
                kinds: [ticket.opened, ticket.closed]
            """)
        #expect(problems.count == 1 && problems[0].hasPrefix("line 5:"), "\(problems)")
        #expect(
            problems.first?.contains("ticket.closed") == true && problems.first?.contains("deadline.missed") == true)
        #expect(settings.first?.kinds == [.ticketOpened])
    }
}
