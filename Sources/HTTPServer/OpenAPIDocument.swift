import Foundation

/// The OpenAPI 3.1 description of the API (`GET /openapi.json`), made from the router's routes: every route
/// needs an entry in `operations`, and `/classify`'s query parameters come from `ClassifyParameters.names`
/// with a description each, so the document cannot leave a route or a parameter out (tests check both ways).
enum OpenAPIDocument {
    /// One route's description: what it does, the query parameters it reads, and its answers by status.
    struct Operation {
        var summary: String
        var queryParameters: [String] = []
        var upload = false
        /// Status → (description, schema name in `components.schemas`, or nil for no body).
        var responses: [Int: (String, String?)]
    }

    static func make(routes: [Route], version: String) -> [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for route in routes {
            guard let operation = operations["\(route.method) \(route.pattern)"] else { continue }
            var entry: [String: Any] = [
                "summary": operation.summary,
                "operationId": operationID(route),
                "responses": Dictionary(uniqueKeysWithValues: operation.responses.map { status, answer in
                    (String(status), response(answer.0, schema: answer.1, ndjson: route.pattern == "/classify" && status == 200))
                }),
            ]
            let pathParameters = route.pattern.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            let parameters = pathParameters.map { ["name": $0, "in": "path", "required": true, "schema": ["type": "string"]] as [String: Any] }
                + operation.queryParameters.map { name in
                    ["name": name, "in": "query", "required": false, "description": queryParameters[name]!.1, "schema": queryParameters[name]!.0]
                }
            if !parameters.isEmpty { entry["parameters"] = parameters }
            if operation.upload { entry["requestBody"] = uploadBody }
            paths[route.pattern, default: [:]][route.method.lowercased()] = entry
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Vivid", "version": version,
                     "description": "Action recognition in videos: POST a video, get the top verbs, nouns and actions (or labels)."],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    /// Routes that have no entry in `operations` (a test expects none), CORS preflights aside.
    static func undocumented(_ routes: [Route]) -> [String] {
        routes.filter { $0.method != "OPTIONS" }.map { "\($0.method) \($0.pattern)" }.filter { operations[$0] == nil }
    }

    private static func operationID(_ route: Route) -> String {
        let words = route.pattern.split(separator: "/").map { $0.filter { $0.isLetter || $0.isNumber } }
        return route.method.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private static func response(_ description: String, schema: String?, ndjson: Bool) -> [String: Any] {
        guard let schema else { return ["description": description] }
        var content: [String: Any] = ["application/json": ["schema": ["$ref": "#/components/schemas/\(schema)"]]]
        if ndjson { content["application/x-ndjson"] = ["schema": ["type": "string", "description": "a timeline's lines (see README)"]] }
        return ["description": description, "content": content]
    }

    private static var uploadBody: [String: Any] { [
        "required": true,
        "content": [
            "multipart/form-data": ["schema": ["type": "object", "required": ["video"],
                                               "properties": ["video": ["type": "string", "contentMediaType": "application/octet-stream"]]]],
            "video/*": ["schema": ["type": "string", "contentMediaType": "video/*"]],
            "application/octet-stream": ["schema": ["type": "string", "contentMediaType": "application/octet-stream"]],
        ],
    ] }

    /// `/classify`'s and `/jobs`' query parameters: schema and description.
    static var queryParameters: [String: ([String: Any], String)] { [
        "model": (["type": "string"], "the model or ensemble to use; the server's default when absent"),
        "top_k": (["type": "integer", "minimum": 1, "maximum": 100], "classes and actions listed per head (default 5)"),
        "views": (["type": "string", "pattern": "^[0-9]+[xX][13]$"], "temporal × spatial views, e.g. 4x3 (default: the model's; 1x1 per window for a timeline)"),
        "aggregate": (["type": "string", "enum": ["per_view", "marginal"]], "how verb and noun combine into actions"),
        "per_view": (["type": "boolean"], "whether the answer lists each view's scores (default true)"),
        "start": (["type": "number", "minimum": 0], "seconds: classify from here"),
        "end": (["type": "number", "exclusiveMinimum": 0], "seconds: classify up to here"),
        "timeout_ms": (["type": "integer", "minimum": 1], "the request's deadline (default the server's --timeout-ms)"),
        "window": (["type": "number", "exclusiveMinimum": 0], "seconds: classify every window of this length (a timeline)"),
        "hop": (["type": "number", "exclusiveMinimum": 0], "seconds between window starts (default the window)"),
        "stream": (["type": "boolean"], "a timeline as NDJSON lines as windows are done (as Accept: application/x-ndjson asks)"),
    ] }

    private static let classifyAnswers: [Int: (String, String?)] = [
        200: ("the classification, or with window the timeline", "Answer"),
        400: ("INVALID_PARAMETER, MISSING_VIDEO or BAD_REQUEST (framing, a malformed form)", "Error"),
        401: ("UNAUTHORIZED: the server asks for Authorization: Bearer KEY (--api-key-file)", "Error"),
        404: ("UNKNOWN_MODEL", "Error"), 413: ("UPLOAD_TOO_LARGE", "Error"), 415: ("UNSUPPORTED_MEDIA", "Error"),
        422: ("NO_VIDEO_STREAM, UNDECODABLE or VIDEO_TOO_LARGE", "Error"), 501: ("NOT_IMPLEMENTED (a transfer coding)", "Error"),
        503: ("BUSY (with Retry-After) or DRAINING", "Error"), 504: ("TIMEOUT", "Error"), 500: ("INTERNAL", "Error"),
    ]

    static let operations: [String: Operation] = [
        "POST /classify": Operation(summary: "Classify an uploaded video, or with window its timeline",
                                    queryParameters: ClassifyParameters.names.sorted(), upload: true, responses: classifyAnswers),
        "POST /jobs": Operation(summary: "Queue what /classify takes as a job; answers at once with where to ask",
                                queryParameters: ClassifyParameters.names.sorted().filter { $0 != "stream" && $0 != "timeout_ms" }, upload: true,
                                responses: classifyAnswers.filter { $0.key != 200 && $0.key != 504 && $0.key != 422 }
                                    .merging([202: ("the job was queued; Location names it", "JobAccepted")]) { $1 }),
        "GET /jobs/{id}": Operation(summary: "A job's status and progress, and its answer once done",
                                    responses: [200: ("the job", "Job"), 404: ("UNKNOWN_JOB", "Error")]),
        "DELETE /jobs/{id}": Operation(summary: "Cancel a queued or running job, or forget an ended one",
                                       responses: [200: ("the job, cancelled", "Job"), 204: ("forgotten", nil), 404: ("UNKNOWN_JOB", "Error")]),
        "GET /": Operation(summary: "A page to try the API in a browser", responses: [200: ("the page, text/html", nil)]),
        "GET /status": Operation(summary: "Health: version, models, queue", responses: [200: ("serving", "Status"), 503: ("draining", "Status")]),
        "GET /v2/health/live": Operation(summary: "Liveness (KServe v2)", responses: [200: ("alive", "Flag")]),
        "GET /v2/health/ready": Operation(summary: "Readiness (KServe v2)", responses: [200: ("ready", "Flag"), 503: ("DRAINING", "Error")]),
        "GET /v2": Operation(summary: "Server metadata (KServe v2)", responses: [200: ("name, version, extensions", "ServerMetadata")]),
        "GET /v2/models/{name}": Operation(summary: "Model metadata (KServe v2): the upload as input, each head as output",
                                           responses: [200: ("the model", "ModelMetadata"), 404: ("no such model", "V2Error")]),
        "GET /v2/models/{name}/ready": Operation(summary: "Model readiness (KServe v2)",
                                                 responses: [200: ("ready", "ModelReady"), 404: ("no such model", "V2Error"), 503: ("draining", "V2Error")]),
        "GET /models": Operation(summary: "The models served and the default", responses: [200: ("models", "ModelList")]),
        "GET /models/{name}": Operation(summary: "One model: heads, preprocessing, default views, GFLOP per view",
                                        responses: [200: ("the model", "Model"), 404: ("UNKNOWN_MODEL", "Error")]),
        "GET /metrics": Operation(summary: "Prometheus text exposition", responses: [200: ("metrics, text/plain; version=0.0.4", nil)]),
        "GET /openapi.json": Operation(summary: "This document", responses: [200: ("OpenAPI 3.1", "Document")]),
    ]

    /// Every error code the API answers with, by `APIError` and `ErrorReport`.
    static let errorCodes = [
        "BAD_REQUEST", "INVALID_PARAMETER", "MISSING_VIDEO", "NOT_FOUND", "UNKNOWN_MODEL", "UNKNOWN_JOB", "METHOD_NOT_ALLOWED",
        "UPLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA", "NO_VIDEO_STREAM", "UNDECODABLE", "VIDEO_TOO_LARGE", "BUSY", "NOT_READY",
        "DRAINING", "TIMEOUT", "REQUEST_TIMEOUT", "CLIENT_CLOSED", "NOT_IMPLEMENTED", "INTERNAL", "UNAUTHORIZED",
    ]

    private static var object: [String: Any] { ["type": "object"] }

    private static var schemas: [String: Any] { [
        "Error": ["type": "object", "required": ["error", "code"],
                  "properties": ["error": ["type": "string"], "code": ["type": "string", "enum": errorCodes], "request_id": ["type": "string"]]],
        "Answer": ["type": "object", "description": "DESIGN §5's answer (aggregate, views, video, sampling, timing_ms, warnings), "
                   + "or with window a timeline (window_s, hop_s, windows, segments, runs)",
                   "properties": ["request_id": ["type": "string"], "model": ["type": "string"], "aggregate": object, "views": ["type": "array"],
                                  "video": object, "sampling": object, "timing_ms": object, "warnings": ["type": "array", "items": ["type": "string"]],
                                  "segments": ["type": "array"], "runs": ["type": "array"], "window_s": ["type": "number"],
                                  "hop_s": ["type": "number"], "windows": ["type": "integer"]]],
        "JobAccepted": ["type": "object", "required": ["job_id", "status_url"],
                        "properties": ["job_id": ["type": "string"], "status_url": ["type": "string"]]],
        "Job": ["type": "object", "required": ["job_id", "status", "progress"],
                "properties": ["job_id": ["type": "string"], "status": ["type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]],
                               "progress": ["type": "object", "properties": ["done": ["type": "integer"], "total": ["type": "integer"]]],
                               "result": ["$ref": "#/components/schemas/Answer"], "error": ["$ref": "#/components/schemas/Error"]]],
        "Status": ["type": "object", "properties": ["status": ["type": "string", "enum": ["ok", "draining"]], "version": ["type": "string"],
                                                    "uptime_s": ["type": "number"], "models": ["type": "array"], "queue": object]],
        "Flag": object,
        "ServerMetadata": ["type": "object", "properties": ["name": ["type": "string"], "version": ["type": "string"],
                                                            "extensions": ["type": "array", "items": ["type": "string"]]]],
        "ModelMetadata": ["type": "object", "properties": ["name": ["type": "string"], "versions": ["type": "array"], "platform": ["type": "string"],
                                                           "inputs": ["type": "array"], "outputs": ["type": "array"]]],
        "ModelReady": ["type": "object", "properties": ["name": ["type": "string"], "ready": ["type": "boolean"]]],
        "V2Error": ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]],
        "ModelList": ["type": "object", "properties": ["models": ["type": "array"], "default_model": ["type": "string"]]],
        "Model": object,
        "Document": object,
    ] }
}
