/// Slack incoming webhook: Block Kit blocks and a plain fallback `text`. No signature: the webhook
/// URL is the credential.
///
/// Source: Slack's Block Kit reference (https://api.slack.com/reference/block-kit/blocks) and
/// incoming-webhook arguments (https://docs.slack.dev/tools/node-slack-sdk/reference/webhook/): `text` is the
/// notification fallback when `blocks` are present; a `header` block holds `plain_text` of at most
/// 150 characters, a `section`'s `mrkdwn` text at most 3000. We count those limits in UTF-8 bytes,
/// never fewer than Slack's characters, so a cut Chinese text is shorter than it could be but never
/// refused.
package enum SlackMessage {
    package static let headerLimit = 150
    package static let sectionLimit = 3000
    static let fallbackLimit = 500

    static func body(for n: WebhookNotification) -> [UInt8] {
        let colour = WebhookColour(n)
        let headline = WebhookText.oneLine(WebhookText.headline(n))
        let markdown = WebhookMarkdown(
            bold: { "*\($0)*" }, link: { "<\($0)|\($1)>" }, escape: WebhookText.slackEscaped, bullet: "• ")
        let fallback = WebhookText.fitted(
            colour.emoji + " " + headline + (n.summary.isEmpty ? "" : " — " + WebhookText.oneLine(n.summary)),
            limit: fallbackLimit, escape: WebhookText.slackEscaped)
        let message: WebhookJSON = .object([
            ("text", .string(fallback)),
            (
                "blocks",
                .array([
                    .object([
                        ("type", "header"),
                        (
                            "text",
                            .object([
                                ("type", "plain_text"),
                                (
                                    "text",
                                    .string(WebhookText.fitted(colour.emoji + " " + headline, limit: headerLimit))
                                ),
                                ("emoji", .bool(true)),
                            ])
                        ),
                    ]),
                    .object([
                        ("type", "section"),
                        (
                            "text",
                            .object([("type", "mrkdwn"), ("text", .string(markdown.render(n, limit: sectionLimit)))])
                        ),
                    ]),
                ])
            ),
        ])
        return message.bytes
    }
}
