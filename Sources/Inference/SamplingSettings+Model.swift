import ClipSampling
import Models

extension SamplingSettings {
    /// The sampling a model folder's `preprocessing` asks for.
    public init(_ preprocessing: ModelConfig.Preprocessing) {
        self.init(
            mode: preprocessing.sampling == .uniform ? .uniform : .stride,
            framesPerClip: preprocessing.framesPerClip, stride: preprocessing.stride,
            temporalViews: preprocessing.temporalViews, spatialCrops: preprocessing.spatialCrops,
            shortSide: preprocessing.shortSide, cropSize: preprocessing.cropSize,
            mean: preprocessing.mean, std: preprocessing.std)
    }
}
