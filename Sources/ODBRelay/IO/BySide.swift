/// One value for each side of a socket's buffers.
struct BySide<Value> {
    private var receive: Value
    private var send: Value

    init(_ both: Value) {
        receive = both
        send = both
    }

    subscript(side: SocketBufferCeiling.Direction) -> Value {
        get {
            switch side {
            case .receive: receive
            case .send: send
            }
        }
        set {
            switch side {
            case .receive: receive = newValue
            case .send: send = newValue
            }
        }
    }
}

extension BySide where Value == Int {
    var total: Int { receive + send }
}
