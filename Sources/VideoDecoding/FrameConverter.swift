import CFFmpeg

/// Turns decoded pictures of any pixel format and bit depth into upright 8-bit RGB at a requested short side.
///
/// Scaling uses swscale's bilinear filter (`SWS_BILINEAR` with accurate rounding and full chroma
/// interpolation). It is the resampling the reference training pipelines use (PyAV plus torchvision or
/// OpenCV bilinear resizes, `tf.image.resize` bilinear), so the model sees the statistics it was trained
/// on, and unlike `SWS_FAST_BILINEAR` swscale widens the kernel when shrinking, so a 1080p frame reduced to
/// 224 pixels does not alias. The YUV→RGB matrix and range follow the frame's own colour tags (BT.601 when
/// untagged).
final class FrameConverter {
    private var context: OpaquePointer?
    private let orientation: Orientation
    /// Scratch for the scaled picture in coded orientation, reused across frames when a turn is needed.
    private var scratch: [UInt8] = []

    init(orientation: Orientation) {
        self.orientation = orientation
    }

    deinit { sws_freeContext(context) }

    /// The upright output size for a coded `width` × `height` and a wanted short side (nil: native size).
    func outputSize(width: Int, height: Int, shortSide: Int?) -> (width: Int, height: Int) {
        let display = orientation.displaySize(width: width, height: height)
        guard let shortSide else { return display }
        let scale = Double(shortSide) / Double(min(display.width, display.height))
        let scaled = { (side: Int) in side == min(display.width, display.height) ? shortSide : max(1, Int((Double(side) * scale).rounded())) }
        return (scaled(display.width), scaled(display.height))
    }

    /// Converts `frame` to RGB24, scaled so that its upright short side is `shortSide` and turned upright.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, shortSide: Int?, timestamp: Double) throws(DecodeError) -> DecodedFrame {
        let source = frame.pointee
        let (outWidth, outHeight) = outputSize(width: Int(source.width), height: Int(source.height), shortSide: shortSide)
        // swscale writes the coded orientation; the turn, if any, happens afterwards in `Orientation.apply`.
        let (scaledWidth, scaledHeight) = orientation.swapsAxes ? (outHeight, outWidth) : (outWidth, outHeight)

        context = sws_getCachedContext(
            context, source.width, source.height, AVPixelFormat(rawValue: source.format),
            Int32(scaledWidth), Int32(scaledHeight), AV_PIX_FMT_RGB24,
            SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
        guard let context else {
            throw .undecodable("cannot convert pixel format \(pixelFormatName(source.format)) to RGB")
        }
        let fullRange: Int32 = source.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        let coefficients = sws_getCoefficients(Int32(source.colorspace.rawValue))
        // Fails harmlessly (returns -1) for RGB sources, which have no YUV matrix.
        _ = sws_setColorspaceDetails(context, coefficients, fullRange, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16)

        let byteCount = outWidth * outHeight * 3
        let scale = { (target: UnsafeMutablePointer<UInt8>) throws(DecodeError) in
            var targetPlanes: [UnsafeMutablePointer<UInt8>?] = [target, nil, nil, nil]
            var targetStrides: [Int32] = [Int32(scaledWidth * 3), 0, 0, 0]
            let rows = withUnsafePointer(to: frame.pointee.linesize) { strides in
                strides.withMemoryRebound(to: Int32.self, capacity: Int(AV_NUM_DATA_POINTERS)) { sourceStrides in
                    frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: Int(AV_NUM_DATA_POINTERS)) { sourcePlanes in
                        sws_scale(context, sourcePlanes, sourceStrides, 0, source.height, &targetPlanes, &targetStrides)
                    }
                }
            }
            guard rows == Int32(scaledHeight) else { throw .undecodable("swscale failed to convert a frame") }
        }

        // swscale's SIMD paths may store a few bytes past the last pixel: keep slack, then drop it.
        let slack = 64
        var pixels = [UInt8](repeating: 0, count: byteCount + slack)
        try pixels.withUnsafeMutableBufferPointer { buffer throws(DecodeError) in
            if orientation.isUpright {
                try scale(buffer.baseAddress!)
                return
            }
            if scratch.count < byteCount + slack { scratch = [UInt8](repeating: 0, count: byteCount + slack) }
            try scratch.withUnsafeMutableBufferPointer { scaled throws(DecodeError) in
                try scale(scaled.baseAddress!)
                orientation.apply(source: scaled.baseAddress!, width: scaledWidth, height: scaledHeight, target: buffer.baseAddress!)
            }
        }
        pixels.removeLast(slack)
        return DecodedFrame(width: outWidth, height: outHeight, timestamp: timestamp, pixels: pixels)
    }
}

/// FFmpeg's name for a pixel format, e.g. `yuv420p10le`.
func pixelFormatName(_ format: Int32) -> String {
    av_get_pix_fmt_name(AVPixelFormat(rawValue: format)).map { String(cString: $0) } ?? "unknown"
}
