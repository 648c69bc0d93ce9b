import Foundation
import Models

/// The KServe v2 (Open Inference Protocol) routes that tools written for Triton, KServe and Seldon ask a server
/// before they send work: server metadata, model metadata and readiness. Inference itself stays `/classify`:
/// a video upload does not fit v2's tensor requests, so the model metadata describes the upload as one BYTES
/// input and each head's probabilities as an output. Errors take v2's shape, `{"error": "…"}`.
extension VividService {
    /// `GET /v2`.
    func serverMetadata() -> Response {
        .json(ServerMetadata(name: "vivid", version: settings.version, extensions: []))
    }

    /// `GET /v2/models/{name}`.
    func modelMetadata(_ request: Request) -> Response {
        guard let model = servedModel(request) else { return unknownModel(request) }
        let config = model.leadConfig
        var outputs = config.heads.map { Tensor(name: $0.name, datatype: "FP32", shape: [-1, $0.classes]) }
        if let verbs = config.heads.first(where: { $0.name == ModelConfig.Head.verb }),
           let nouns = config.heads.first(where: { $0.name == ModelConfig.Head.noun }) {
            outputs.append(Tensor(name: "action", datatype: "FP32", shape: [-1, verbs.classes * nouns.classes]))
        }
        return .json(ModelMetadata(name: model.name, versions: ["1"], platform: "vivid",
                                   inputs: [Tensor(name: "video", datatype: "BYTES", shape: [1])], outputs: outputs))
    }

    /// `GET /v2/models/{name}/ready`: 200 while the model is loaded and the server takes work, else 503.
    func modelReady(_ request: Request) -> Response {
        guard servedModel(request) != nil else { return unknownModel(request) }
        if isDraining { return .json(V2Error(error: "the server is shutting down"), status: 503) }
        return .json(Readiness(name: request.head.pathParameters["name"] ?? "", ready: true))
    }

    private func servedModel(_ request: Request) -> ServedModel? {
        models.first { $0.name == request.head.pathParameters["name"] }
    }

    private func unknownModel(_ request: Request) -> Response {
        var response = Response.json(V2Error(error: APIError.unknownModel(request.head.pathParameters["name"] ?? "").message), status: 404)
        response.errorCode = "UNKNOWN_MODEL"
        return response
    }
}

private struct ServerMetadata: Encodable {
    var name: String
    var version: String
    var extensions: [String]
}

private struct ModelMetadata: Encodable {
    var name: String
    var versions: [String]
    var platform: String
    var inputs: [Tensor]
    var outputs: [Tensor]
}

private struct Tensor: Encodable {
    var name: String
    var datatype: String
    var shape: [Int]
}

private struct Readiness: Encodable {
    var name: String
    var ready: Bool
}

private struct V2Error: Encodable {
    var error: String
}
