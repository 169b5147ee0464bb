import VigilProtocol

extension Vigil_V1_Frame {
    /// A `Welcome` frame. A batch is one frame, so the most bytes of records in one batch is the frame limit.
    static func welcome(
        resumeAfterSeq: UInt64, maxFrameBytes: Int, maxBatchRecords: Int, hubID: String
    ) -> Vigil_V1_Frame {
        var welcome = Vigil_V1_Welcome()
        welcome.protocolVersion = WireProtocol.version
        welcome.resumeAfterSeq = resumeAfterSeq
        welcome.maxFrameBytes = UInt32(clamping: maxFrameBytes)
        welcome.hubID = hubID
        welcome.maxBatchRecords = UInt32(clamping: maxBatchRecords)
        welcome.maxBatchBytes = UInt32(clamping: maxFrameBytes)
        var frame = Vigil_V1_Frame()
        frame.welcome = welcome
        return frame
    }

    /// An `Ack` frame; `refused` counts the batch's records not stored because of authorization.
    static func ack(throughSeq: UInt64, refused: Int = 0) -> Vigil_V1_Frame {
        var ack = Vigil_V1_Ack()
        ack.throughSeq = throughSeq
        ack.refused = UInt64(refused)
        var frame = Vigil_V1_Frame()
        frame.ack = ack
        return frame
    }

    /// A `Reject` frame.
    static func reject(_ code: Vigil_V1_Reject.Code, _ message: String) -> Vigil_V1_Frame {
        var reject = Vigil_V1_Reject()
        reject.code = code
        reject.message = message
        var frame = Vigil_V1_Frame()
        frame.reject = reject
        return frame
    }

    /// The frame's kind for messages: `Hello`, `Batch`, ….
    var kindName: String {
        switch body {
        case .hello: "Hello"
        case .welcome: "Welcome"
        case .batch: "Batch"
        case .ack: "Ack"
        case .reject: "Reject"
        case nil: "an empty frame"
        }
    }
}

extension Vigil_V1_Reject.Code {
    /// The code's stable snake_case name, as used in status, metrics labels and logs.
    public var label: String {
        switch self {
        case .unspecified: "unspecified"
        case .protocol: "protocol"
        case .unauthorized: "unauthorized"
        case .unsupportedVersion: "unsupported_version"
        case .tooLarge: "too_large"
        case .overloaded: "overloaded"
        case .UNRECOGNIZED(let raw): "code_\(raw)"
        }
    }

    /// Every code the hub sends, in wire order.
    public static let sentByHub: [Vigil_V1_Reject.Code] = [
        .protocol, .unauthorized, .unsupportedVersion, .tooLarge, .overloaded,
    ]
}
