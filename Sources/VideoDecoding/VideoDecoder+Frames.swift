import CFFmpeg
import CVideoShim

extension VideoDecoder {
    /// Decodes the frames shown at each of `times` and hands each to `body` with its index in `times`.
    ///
    /// The frame shown at time t is the last one whose presentation time is at most t (a quarter frame of
    /// slack absorbs rounding); a time past the end gets the last frame, a time before the first gets the
    /// first. Times are seconds from the first frame and must be ascending; equal times are answered by the
    /// same frame. Only answering frames are converted to RGB, and none is kept after `body` returns, so
    /// memory does not grow with the video's length.
    ///
    /// To reach a later time the decoder seeks to the keyframe before it whenever that keyframe lies past
    /// what has been decoded, so a few clips of a long video cost a few GOPs each, not the whole video.
    /// Corrupt packets are skipped and reported in `warnings` while frames keep coming.
    ///
    /// - Parameters:
    ///   - times: ascending presentation times in seconds from the first frame.
    ///   - shortSide: the upright short side of the delivered frames in pixels; nil keeps the coded size.
    ///   - stop: asked before each frame is decoded; once it says yes, decoding ends and the call returns with
    ///     the remaining times unanswered (a cancelled request stops within one frame).
    /// - Throws: `DecodeError.videoTooLarge` past `maxFramesPerAnswer`; `.undecodable` when no frame decodes.
    public func decodeFrames(
        at times: [Double], shortSide: Int?, stoppingWhen stop: () -> Bool = { false }, _ body: (_ index: Int, _ frame: DecodedFrame) -> Void
    ) throws(DecodeError) {
        precondition(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "times must be ascending")
        var cursor = FrameCursor(times: times, tolerance: 0.25 / info.fps)
        guard !cursor.isFinished else { return }
        var heldTime: Double? // time of the frame in `held`, the answer for times before the next frame
        var decodedSinceAnswer = 0
        var draining = false
        av_frame_unref(held)
        seekIfWorthwhile(to: cursor.nextTime, tolerance: cursor.tolerance)

        while !cursor.isFinished {
            if stop() { return }
            let result = avcodec_receive_frame(codec, received)
            if result == vivid_ff_error_again() {
                if draining { break }
                draining = !sendNextPacket(nextTarget: cursor.nextTime)
                continue
            }
            if result == vivid_ff_error_eof() { break }
            if result < 0 {
                log.append("a frame failed to decode: \(ffmpegMessage(result))")
                continue
            }
            decodedSinceAnswer += 1
            framesDecoded += 1
            if decodedSinceAnswer > options.limits.maxFramesPerAnswer {
                av_frame_unref(received)
                throw .videoTooLarge("reaching a requested frame needs more than \(options.limits.maxFramesPerAnswer) decoded frames")
            }
            let time = presentationTime(of: received, after: heldTime)
            if received.pointee.decode_error_flags != 0 || received.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                log.append(String(format: "the frame at %.3f s was decoded with errors and concealed", time))
            }
            // The new frame's arrival settles every pending time before it: the held frame was shown then.
            let answer = heldTime == nil ? received : held
            try cursor.answer(timesBefore: time) { indices throws(DecodeError) in
                let frame = try converter.convert(answer, shortSide: shortSide, timestamp: heldTime ?? time)
                for index in indices { body(index, frame) }
                decodedSinceAnswer = 0
            }
            av_frame_unref(held)
            av_frame_move_ref(held, received)
            heldTime = time
            position = max(position, time)
            if !cursor.isFinished, seekIfWorthwhile(to: cursor.nextTime, tolerance: cursor.tolerance) {
                heldTime = nil
                draining = false
            }
        }
        // End of stream: the last frame is shown for every remaining time.
        guard !cursor.isFinished else { return }
        guard let heldTime else { throw .undecodable("no frame of the video could be decoded") }
        let frame = try converter.convert(held, shortSide: shortSide, timestamp: heldTime)
        cursor.answerAll { indices in for index in indices { body(index, frame) } }
    }

    /// Reads the next packet of the video stream and sends it to the codec; false once the demuxer is done.
    ///
    /// In a constant-rate stream a packet shown more than a second before `nextTarget` cannot be an answer
    /// (later frames will be), so the codec may skip it if nothing references it (`AVDISCARD_NONREF`): the
    /// frames between a keyframe and a clip cost only what the clip's references need. Variable-rate
    /// streams decode everything, since one frame may be shown for longer than a second.
    private func sendNextPacket(nextTarget: Double) -> Bool {
        while true {
            let result = av_read_frame(format, packet)
            if result < 0 {
                if result != vivid_ff_error_eof() {
                    log.append("reading stopped early: \(ffmpegMessage(result))")
                }
                avcodec_send_packet(codec, nil) // enter draining: the codec returns its delayed frames
                return false
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index else { continue }
            let shownEarly = !info.variableFrameRate && packet.pointee.pts != vivid_ff_no_pts()
                && Double(packet.pointee.pts) * timeBase - startTime < nextTarget - 1
            codec!.pointee.skip_frame = shownEarly ? AVDISCARD_NONREF : AVDISCARD_DEFAULT
            let sent = avcodec_send_packet(codec, packet)
            if sent < 0, sent != vivid_ff_error_again() {
                let time = packet.pointee.pts == vivid_ff_no_pts() ? "unknown time" : String(format: "%.3f s", Double(packet.pointee.pts) * timeBase - startTime)
                log.append("skipped a corrupt packet at \(time): \(ffmpegMessage(sent))")
            }
            return true
        }
    }

    /// A frame's presentation time in seconds from the first frame; frames without one follow the previous.
    private func presentationTime(of frame: UnsafeMutablePointer<AVFrame>, after previous: Double?) -> Double {
        let stamp = frame.pointee.best_effort_timestamp
        if stamp == vivid_ff_no_pts() { return previous.map { $0 + 1 / info.fps } ?? 0 }
        return Double(stamp) * timeBase - startTime
    }

    /// Seeks to the keyframe before `target` when that skips work (the keyframe lies past `position`)
    /// or is needed (the target lies more than `tolerance` before `position`, as when a call asks for
    /// earlier times than the last). Returns whether it sought; `position` then becomes the seek point, so
    /// frames the demuxer returns from before it do not trigger the same seek again.
    @discardableResult
    private func seekIfWorthwhile(to target: Double, tolerance: Double) -> Bool {
        let seekPoint: Double
        if target + tolerance < position {
            seekPoint = target
        } else if let keyframe = keyframeTime(atOrBefore: target) {
            guard keyframe > position else { return false }
            seekPoint = keyframe
        } else {
            // No index to consult: seek only across a long gap, since the landing point is approximate.
            guard target - max(position, 0) > 10 else { return false }
            seekPoint = target
        }
        let stamp = Int64(((seekPoint + startTime) / timeBase).rounded(.down))
        guard av_seek_frame(format, stream.pointee.index, stamp, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(codec)
        av_frame_unref(held)
        position = seekPoint
        return true
    }

    /// The time of the last indexed keyframe at or before `time`, when the container has an index.
    private func keyframeTime(atOrBefore time: Double) -> Double? {
        let stamp = Int64(((time + startTime) / timeBase).rounded(.down))
        let index = av_index_search_timestamp(stream, stamp, AVSEEK_FLAG_BACKWARD)
        guard index >= 0, let entry = avformat_index_get_entry(stream, index) else { return nil }
        return Double(entry.pointee.timestamp) * timeBase - startTime
    }
}

/// Walks the requested times in order, handing out the indices that each decoded frame answers.
struct FrameCursor {
    let times: [Double]
    let tolerance: Double
    private(set) var next = 0

    init(times: [Double], tolerance: Double) {
        self.times = times
        self.tolerance = tolerance
    }

    var isFinished: Bool { next == times.count }
    var nextTime: Double { times[next] }

    /// Calls `body` with the indices of the pending times that fall before a frame shown at `time`.
    mutating func answer<E: Error>(timesBefore time: Double, _ body: (Range<Int>) throws(E) -> Void) throws(E) {
        var end = next
        while end < times.count, times[end] + tolerance < time { end += 1 }
        guard end > next else { return }
        try body(next..<end)
        next = end
    }

    mutating func answerAll(_ body: (Range<Int>) -> Void) {
        body(next..<times.count)
        next = times.count
    }
}
