import Foundation
import Inference

extension VividService {
    /// The API's routes, built anew on each call: whoever serves them keeps one. `settings.access` puts the
    /// key check in front of them and adds CORS preflight routes.
    public var router: Router {
        Router(settings.access.guarding([
            Route("POST", "/classify", takesUpload: true, admit: { head throws(APIError) in try self.admitClassification(head) },
                  respond: { self.classify($0, reply: $1) }),
            Route("POST", "/jobs", takesUpload: true, admit: { head throws(APIError) in try self.admitClassification(head) },
                  respond: { self.submitJob($0, reply: $1) }),
            Route("GET", "/jobs/{id}") { self.describeJob($0) },
            Route("DELETE", "/jobs/{id}") { self.deleteJob($0) },
            Route("GET", "/status") { _ in self.status() },
            Route("GET", "/") { _ in .text(TryPage.html, contentType: "text/html; charset=utf-8") },
            Route("GET", "/v2/health/live") { _ in .json(["live": true]) },
            Route("GET", "/v2/health/ready") { request in
                self.isDraining ? .error(.draining, requestID: request.head.id) : .json(["ready": true])
            },
            Route("GET", "/v2") { _ in self.serverMetadata() },
            Route("GET", "/v2/models/{name}") { self.modelMetadata($0) },
            Route("GET", "/v2/models/{name}/ready") { self.modelReady($0) },
            Route("GET", "/models") { _ in .json(ModelList(models: self.models.map(ModelDescription.init), defaultModel: self.defaultModel)) },
            Route("GET", "/models/{name}") { request in
                do throws(APIError) {
                    return .json(ModelDescription(try self.model(named: request.head.pathParameters["name"])))
                } catch {
                    return .error(error, requestID: request.head.id)
                }
            },
            Route("GET", "/openapi.json") { request in
                let document = OpenAPIDocument.make(routes: self.router.routes, version: self.settings.version)
                guard let body = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                    return .error(.internal("the OpenAPI document could not be encoded"), requestID: request.head.id)
                }
                return Response(status: 200, headers: [("Content-Type", "application/json")], body: body)
            },
            Route("GET", "/metrics") { _ in
                .text(self.metrics.render(queue: self.queue.depth), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]))
    }
}
