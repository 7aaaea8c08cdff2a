/// The data-lifecycle stages rules are tagged with (`vigil.stage.<stage>`): where in the life of
/// government data an incident happened.
public enum LifecycleStage: String, Sendable, CaseIterable, Comparable {
    case collection, transmission, storage, processing, exchange, destruction

    public static func < (a: LifecycleStage, b: LifecycleStage) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
