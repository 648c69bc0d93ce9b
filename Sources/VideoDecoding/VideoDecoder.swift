import CFFmpeg
import CVideoShim
import Foundation

/// Opens one video file with FFmpeg and hands out upright RGB frames at requested presentation times.
///
/// A decoder belongs to one request: it is not thread-safe, and it holds the file open until released.
/// Opening checks the container against `ContainerPolicy` (the file protocol only, no playlists or
/// scripts) and the limits of `DecoderOptions`; see `VideoDecoder+Frames.swift` for decoding.
public final class VideoDecoder {
    /// Facts about the video, read when it was opened.
    public let info: VideoInfo
    /// Damage seen so far (corrupt packets, concealed frames), as FFmpeg described it.
    public var warnings: [String] { log.warnings }
    /// Frames decoded so far, converted or not: what reaching the requested times cost.
    public internal(set) var framesDecoded = 0

    let options: DecoderOptions
    let log = DecoderLog()
    var format: UnsafeMutablePointer<AVFormatContext>?
    var codec: UnsafeMutablePointer<AVCodecContext>?
    let stream: UnsafeMutablePointer<AVStream>
    let converter: FrameConverter
    /// Presentation time of the first frame in the stream's clock, in seconds; frame times count from it.
    let startTime: Double
    let timeBase: Double
    // Reused packet and frames: the one being received and the one held as the current answer.
    let packet: UnsafeMutablePointer<AVPacket>
    let received: UnsafeMutablePointer<AVFrame>
    let held: UnsafeMutablePointer<AVFrame>
    /// The latest time decoded, or the keyframe last sought to: where the demuxer stands.
    var position = -Double.infinity

    /// Opens `path` and reads its stream facts.
    ///
    /// - Throws: `DecodeError` with `UNSUPPORTED_MEDIA` for a refused or unrecognised file (a one-frame GIF too),
    ///   `NO_VIDEO_STREAM`, `UNDECODABLE` when FFmpeg cannot open what it recognised, and
    ///   `VIDEO_TOO_LARGE` when the frame size or duration passes `options.limits`.
    public init(path: String, options: DecoderOptions = .init()) throws(DecodeError) {
        _ = DecoderLog.installRouting
        self.options = options
        let container = try ContainerPolicy.detectContainer(path: path)
        let format = try Self.openContainer(path: path, container: container, limits: options.limits, log: log)
        self.format = format
        // From here on `deinit` does not run if init throws, so every failure path frees what it made.
        var streamIndex: Int32 = -1
        do throws(DecodeError) {
            guard avformat_find_stream_info(format, nil) >= 0 else {
                throw .undecodable("cannot read the stream parameters")
            }
            streamIndex = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
            guard streamIndex >= 0,
                  format.pointee.streams[Int(streamIndex)]!.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
            else { throw .noVideoStream("the file holds no video stream") }
        } catch {
            var format: UnsafeMutablePointer<AVFormatContext>? = format
            avformat_close_input(&format)
            throw error
        }
        stream = format.pointee.streams[Int(streamIndex)]!
        timeBase = av_q2d(stream.pointee.time_base)
        startTime = stream.pointee.start_time == vivid_ff_no_pts() ? 0 : Double(stream.pointee.start_time) * timeBase
        let displayMatrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nil)
        let orientation = Orientation(displayMatrix: displayMatrix.map { UnsafeRawPointer($0).assumingMemoryBound(to: Int32.self) })
        converter = FrameConverter(orientation: orientation)
        info = Self.describe(format: format, stream: stream, orientation: orientation)
        packet = av_packet_alloc()
        received = av_frame_alloc()
        held = av_frame_alloc()
        for index in 0..<Int(format.pointee.nb_streams) where index != Int(streamIndex) {
            format.pointee.streams[index]!.pointee.discard = AVDISCARD_ALL
        }
        // An animated GIF is a video (its frame delays are its timestamps); a GIF of one frame is a picture.
        if info.container == "gif" && info.frameCount <= 1 { throw .unsupportedMedia("a GIF of one frame is a still image, not a video") }
        try checkLimits()
        codec = try openCodec()
    }

    deinit {
        avcodec_free_context(&codec)
        avformat_close_input(&format)
        var packet: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packet)
        var received: UnsafeMutablePointer<AVFrame>? = received
        av_frame_free(&received)
        var held: UnsafeMutablePointer<AVFrame>? = held
        av_frame_free(&held)
    }

    /// Opens the demuxer `container` on `path` through the `file` protocol only.
    private static func openContainer(
        path: String, container: UnsafePointer<AVInputFormat>, limits: DecoderLimits, log: DecoderLog
    ) throws(DecodeError) -> UnsafeMutablePointer<AVFormatContext> {
        var format: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
        format!.pointee.opaque = log.opaquePointer
        var settings: OpaquePointer?
        defer { av_dict_free(&settings) }
        av_dict_set(&settings, "protocol_whitelist", "file", 0)
        av_dict_set(&settings, "format_whitelist", ContainerPolicy.formatWhitelist, 0)
        // On failure avformat_open_input frees the context and sets it to nil.
        let result = avformat_open_input(&format, "file:" + path, container, &settings)
        guard result >= 0, let format else {
            let name = String(cString: container.pointee.name)
            if name == "yuv4mpegpipe", let size = Y4MHeader.declaredFrameSize(path: path) {
                try limits.check(frameWidth: size.width, height: size.height)
            }
            throw .undecodable("cannot open the \(String(cString: container.pointee.name)) container: \(ffmpegMessage(result))")
        }
        return format
    }

    private func openCodec() throws(DecodeError) -> UnsafeMutablePointer<AVCodecContext> {
        let parameters = stream.pointee.codecpar!
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw .undecodable("no decoder for the \(info.codec) codec")
        }
        var codec: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(decoder)
        var result = avcodec_parameters_to_context(codec, parameters)
        if result >= 0 {
            codec!.pointee.pkt_timebase = stream.pointee.time_base
            codec!.pointee.thread_count = Int32(options.threads)
            codec!.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            codec!.pointee.opaque = log.opaquePointer
            result = avcodec_open2(codec, decoder, nil)
        }
        guard result >= 0 else {
            avcodec_free_context(&codec)
            throw .undecodable("cannot open the \(info.codec) decoder: \(ffmpegMessage(result))")
        }
        return codec!
    }

    private func checkLimits() throws(DecodeError) {
        let limits = options.limits
        let parameters = stream.pointee.codecpar.pointee
        try limits.check(frameWidth: Int(parameters.width), height: Int(parameters.height))
        if info.duration > limits.maxDuration {
            throw .videoTooLarge("a duration of \(Int(info.duration)) s passes the limit of \(Int(limits.maxDuration)) s")
        }
    }

    /// Reads `VideoInfo` from the opened container and stream.
    private static func describe(
        format: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>, orientation: Orientation
    ) -> VideoInfo {
        let parameters = stream.pointee.codecpar.pointee
        let timeBase = av_q2d(stream.pointee.time_base)
        let averageRate = stream.pointee.avg_frame_rate, realRate = stream.pointee.r_frame_rate
        let isKnown = { (rate: AVRational) in rate.num > 0 && rate.den > 0 }
        let fps = isKnown(averageRate) ? av_q2d(averageRate) : isKnown(realRate) ? av_q2d(realRate) : 25

        var duration = 0.0
        if stream.pointee.duration != vivid_ff_no_pts(), stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBase
        } else if format.pointee.duration != vivid_ff_no_pts(), format.pointee.duration > 0 {
            duration = Double(format.pointee.duration) / Double(AV_TIME_BASE)
        }
        let exactCount = Int(stream.pointee.nb_frames)
        let display = orientation.displaySize(width: Int(parameters.width), height: Int(parameters.height))
        let pixelFormat = AVPixelFormat(rawValue: parameters.format)
        let bitDepth = av_pix_fmt_desc_get(pixelFormat).map { Int($0.pointee.comp.0.depth) } ?? 8

        return VideoInfo(
            container: String(cString: format.pointee.iformat.pointee.name),
            codec: String(cString: avcodec_get_name(parameters.codec_id)),
            width: display.width, height: display.height,
            rotation: orientation.counterClockwiseDegrees, mirrored: orientation.isMirrored,
            fps: fps, duration: duration,
            frameCount: exactCount > 0 ? exactCount : max(1, Int((duration * fps).rounded())),
            frameCountIsExact: exactCount > 0,
            pixelFormat: pixelFormatName(parameters.format), bitDepth: bitDepth,
            variableFrameRate: hasVariableFrameRate(stream: stream, averageRate: averageRate, realRate: realRate))
    }

    /// Whether frame durations vary. Where the container indexes every frame (MP4, MOV) the index's
    /// timestamp steps decide: steps more than 5% away from the median step mean a changing rate, while
    /// smaller jitter is the recorder's clock rounding. Elsewhere FFmpeg's guessed base rate is compared
    /// with the average rate.
    private static func hasVariableFrameRate(stream: UnsafeMutablePointer<AVStream>, averageRate: AVRational, realRate: AVRational) -> Bool {
        let entries = avformat_index_get_entries_count(stream)
        if entries > 2, Int64(entries) == stream.pointee.nb_frames {
            let stamps = (0..<entries).map { avformat_index_get_entry(stream, $0)!.pointee.timestamp }
            let steps = zip(stamps, stamps.dropFirst()).map { Double($1 - $0) }.sorted()
            let median = steps[steps.count / 2]
            return steps.first! < median * 0.95 || steps.last! > median * 1.05
        }
        guard averageRate.num > 0, averageRate.den > 0, realRate.num > 0, realRate.den > 0 else { return false }
        return abs(av_q2d(averageRate) / av_q2d(realRate) - 1) > 0.01
    }
}

/// FFmpeg's text for an error code.
func ffmpegMessage(_ code: Int32) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
        av_strerror(code, buffer.baseAddress, buffer.count)
        return String(cString: buffer.baseAddress!)
    }
}
