import CFFmpeg

/// How a coded picture is turned upright for display: quarter turns and mirrors, read from the stream's
/// display matrix (`AV_PKT_DATA_DISPLAYMATRIX`, as phones write for portrait recordings).
///
/// FFmpeg's matrix maps a coded pixel (p, q) to the display pixel (p, q) · [[a, b], [c, d]] in image
/// coordinates; this is the turn FFmpeg's own `autorotate` applies (checked against it in the tests). Every
/// orientation a camera writes has entries in {-1, 0, 1}, so the map is a signed permutation of axes and
/// its inverse is its transpose.
struct Orientation: Equatable, Sendable {
    // The matrix entries a, b, c, d reduced to their signs.
    let a: Int, b: Int, c: Int, d: Int

    static let upright = Orientation(a: 1, b: 0, c: 0, d: 1)

    /// Reads the display matrix; a missing or non-axis-aligned matrix leaves the picture as coded.
    init(displayMatrix: UnsafePointer<Int32>?) {
        guard let m = displayMatrix else { self = .upright; return }
        let signs = [m[0], m[1], m[3], m[4]].map { Int($0.signum()) }
        let axisAligned = (signs[0] != 0 && signs[1] == 0 && signs[2] == 0 && signs[3] != 0)
            || (signs[0] == 0 && signs[1] != 0 && signs[2] != 0 && signs[3] == 0)
        self = axisAligned ? Orientation(a: signs[0], b: signs[1], c: signs[2], d: signs[3]) : .upright
    }

    private init(a: Int, b: Int, c: Int, d: Int) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    var isUpright: Bool { self == .upright }
    /// Whether display width and height are the coded height and width.
    var swapsAxes: Bool { a == 0 }
    /// A mirror image (negative determinant).
    var isMirrored: Bool { a * d - b * c < 0 }

    /// Counter-clockwise degrees of the turn, FFmpeg's convention (what ffprobe prints as `rotation`, and
    /// what `-metadata:s:v rotate=` writes): where the coded "up" vector (0, -1) points on display, (-c, -d).
    /// A horizontal mirror leaves "up" alone.
    var counterClockwiseDegrees: Int {
        switch (c, d) {
        case (0, 1): 0
        case (1, 0): 90
        case (0, -1): 180
        default: 270
        }
    }

    /// Display size for a coded `width` × `height`.
    func displaySize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// Writes `source` (coded orientation, `width` × `height` RGB rows packed) turned upright into `target`.
    ///
    /// Complexity: one pass over the pixels; each output row reads a fixed-step walk of the source.
    func apply(
        source: UnsafePointer<UInt8>, width: Int, height: Int,
        target: UnsafeMutablePointer<UInt8>
    ) {
        let (outWidth, outHeight) = displaySize(width: width, height: height)
        // Work in doubled, centred coordinates so that half-pixel centres stay integers:
        // P' = 2X - (W' - 1); source P = a P' + b Q', Q = c P' + d Q'; x = (P + W - 1) / 2.
        // Moving one output column (P' += 2) moves the source by (a, c) pixels, so each row is a stride walk.
        let stepX = a * 3 + c * width * 3
        for row in 0..<outHeight {
            let qPrime = 2 * row - (outHeight - 1)
            let pPrime = -(outWidth - 1)
            let x = (a * pPrime + b * qPrime + width - 1) / 2
            let y = (c * pPrime + d * qPrime + height - 1) / 2
            var from = source + (y * width + x) * 3
            var to = target + row * outWidth * 3
            for _ in 0..<outWidth {
                to[0] = from[0]; to[1] = from[1]; to[2] = from[2]
                to += 3
                from += stepX
            }
        }
    }
}
