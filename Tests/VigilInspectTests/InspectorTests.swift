import Testing

@testable import VigilInspect
