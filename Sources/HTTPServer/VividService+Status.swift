import Foundation
import Numerics

/// `/status`: readiness, version, uptime, models and the queue.
extension VividService {
    struct StatusBody: Encodable {
        var status: String
        var version: String
        var uptimeSeconds: Double
        var models: [ModelStatus]
        var queue: WorkQueue.Depth

        enum CodingKeys: String, CodingKey { case status, version, uptimeSeconds = "uptime_s", models, queue }
    }

    struct ModelStatus: Encodable {
        var name: String
        var architecture: String
        var precision: String
        var heads: [String]
        var ready: Bool
    }

    func status() -> Response {
        let draining = isDraining
        let body = StatusBody(
            status: draining ? "draining" : "ok", version: settings.version,
            uptimeSeconds: ((ContinuousClock.now - started).inSeconds * 10).rounded() / 10,
            models: models.map { model in
                let description = ModelDescription(model)
                return ModelStatus(name: model.name, architecture: description.architecture, precision: description.precision,
                                   heads: model.leadConfig.heads.map(\.name), ready: true)
            },
            queue: queue.depth)
        return .json(body, status: draining ? 503 : 200)
    }
}
