import Dispatch

/// One route: a method and a path pattern, whether it reads an uploaded video, and its handler.
public struct Route: Sendable {
    public var method: String
    /// Segments, where `{name}` matches any one segment and binds it as a path parameter.
    public var pattern: String
    public var takesUpload: Bool
    /// Runs on the headers alone, before any body byte is read, so that a request bound to fail
    /// (bad parameters, unknown model, full queue, oversize body) is refused without its upload.
    public var admit: @Sendable (RequestHead) throws(APIError) -> Void
    /// Answers by calling its second argument once: before returning, or later from another thread (a
    /// classification answers from its worker).
    public var respond: @Sendable (Request, @escaping @Sendable (Response) -> Void) -> Void

    public init(_ method: String, _ pattern: String, takesUpload: Bool = false,
                admit: @escaping @Sendable (RequestHead) throws(APIError) -> Void = { _ throws(APIError) in },
                respond: @escaping @Sendable (Request, @escaping @Sendable (Response) -> Void) -> Void) {
        self.method = method
        self.pattern = pattern
        self.takesUpload = takesUpload
        self.admit = admit
        self.respond = respond
    }

    /// A route that answers at once.
    public init(_ method: String, _ pattern: String, takesUpload: Bool = false,
                admit: @escaping @Sendable (RequestHead) throws(APIError) -> Void = { _ throws(APIError) in },
                handle: @escaping @Sendable (Request) -> Response) {
        self.init(method, pattern, takesUpload: takesUpload, admit: admit) { request, reply in reply(handle(request)) }
    }

    /// The pattern's parameters bound from `path`, or nil when the path does not match.
    func bind(_ path: String) -> [String: String]? {
        let wanted = pattern.split(separator: "/", omittingEmptySubsequences: true)
        let given = path.split(separator: "/", omittingEmptySubsequences: true)
        guard wanted.count == given.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(wanted, given) {
            if segment.hasPrefix("{") && segment.hasSuffix("}") {
                parameters[String(segment.dropFirst().dropLast())] = String(value)
            } else if segment != value {
                return nil
            }
        }
        return parameters
    }
}

/// Maps (method, path) to a route; a value type, so the whole API can be exercised without a socket.
public struct Router: Sendable {
    public var routes: [Route]

    public init(_ routes: [Route]) { self.routes = routes }

    /// The route for `head`, with its path parameters bound into the returned head; `NOT_FOUND` when no
    /// pattern matches the path, `METHOD_NOT_ALLOWED` when one matches with another method.
    public func match(_ head: RequestHead) throws(APIError) -> (Route, RequestHead) {
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.bind(head.path) else { continue }
            if route.method == head.method || (head.method == "HEAD" && route.method == "GET" && !route.takesUpload) {
                var bound = head
                bound.pathParameters = parameters
                return (route, bound)
            }
            allowed.append(route.method)
        }
        if allowed.isEmpty { throw .notFound("no route \(head.path)") }
        throw .methodNotAllowed(allowed: allowed)
    }

    /// The route's pattern for metrics labels (so `/models/x` and `/models/y` count together), or
    /// "unmatched".
    public func label(for head: RequestHead) -> String {
        routes.first { $0.bind(head.path) != nil }?.pattern ?? "unmatched"
    }
}
