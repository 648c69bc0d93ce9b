import Foundation
import Models
import Testing
import VividTestSupport

/// The architecture table, and `config.json`'s closed sets refused with the allowed words listed.
@Suite("Architecture registry and config.json's closed sets")
struct ArchitectureRegistryTests {
    @Test("Architecture and published names are unique, and each published config names its own architecture")
    func uniqueNames() {
        #expect(Set(Architectures.names).count == Architectures.all.count)
        #expect(Set(Architectures.published.map(\.name)).count == Architectures.published.count)
        for architecture in Architectures.all {
            for published in architecture.published {
                #expect(published.config.architecture == architecture.name, "\(published.name)")
                #expect(published.config.name == published.name)
            }
        }
    }

    @Test("Every published config survives config.json: encoded, decoded, equal")
    func publishedRoundTrip() throws {
        for published in Architectures.published {
            let decoded = try JSONDecoder().decode(ModelConfig.self, from: try JSONEncoder().encode(published.config))
            #expect(decoded == published.config, "\(published.name)")
        }
    }

    @Test("expectedTensors is the list of tensors the model asks for, at any precision")
    func expectedTensors() throws {
        var config = TinyModels.factorisedConfig()
        let recorded = RecordingWeights()
        _ = try ModelLoader.make(config: config, weights: recorded)
        let expected = try ModelLoader.expectedTensors(config: config)
        #expect(expected.map(\.key) == recorded.tensors.map(\.name))
        #expect(expected.map(\.shape) == recorded.tensors.map(\.tensor.shape))
        config.precision = .int8
        #expect(try ModelLoader.expectedTensors(config: config).map(\.key) == expected.map(\.key))
    }

    @Test("An unknown word in a closed set fails to decode, naming it and listing the allowed words",
          arguments: [
              ("\"architecture\" : \"vivit_factorised_encoder\"", "\"architecture\" : \"resnet\"", "'resnet'", "known: vivit, vivit_factorised_encoder"),
              ("\"aggregation\" : \"per_view\"", "\"aggregation\" : \"per-view\"", "'per-view'", "'per_view', 'marginal'"),
              ("\"gelu\" : \"tanh\"", "\"gelu\" : \"fast\"", "'fast'", "'tanh', 'erf'"),
              ("\"head_layout\" : \"split\"", "\"head_layout\" : \"joint\"", "'joint'", "'single', 'split', 'separate'"),
          ])
    func closedSets(original: String, replacement: String, named: String, allowed: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .prettyPrinted
        let text = String(decoding: try encoder.encode(TinyModels.factorisedConfig()), as: UTF8.self)
        try #require(text.contains(original))
        do {
            _ = try JSONDecoder().decode(ModelConfig.self, from: Data(text.replacingOccurrences(of: original, with: replacement).utf8))
            Issue.record("\(replacement) decoded")
        } catch {
            #expect("\(error)".contains(named) && "\(error)".contains(allowed), "\(error)")
        }
    }

    @Test("A CNN's head pool is a closed set too")
    func headPool() throws {
        let csn = try #require(Architectures.published(named: "csn-152")).config
        let text = String(decoding: try JSONEncoder().encode(csn), as: UTF8.self)
        try #require(text.contains(#""head_pool":"global""#))
        let changed = text.replacingOccurrences(of: #""head_pool":"global""#, with: #""head_pool":"mean""#)
        let error = try #require(throws: DecodingError.self) { try JSONDecoder().decode(ModelConfig.self, from: Data(changed.utf8)) }
        guard case .dataCorrupted(let context) = error else { Issue.record("expected dataCorrupted: \(error)"); return }
        #expect(context.codingPath.last?.stringValue == "head_pool")
        #expect(context.debugDescription == "'mean' is not one of 'global', 'windowed'")
    }
}
