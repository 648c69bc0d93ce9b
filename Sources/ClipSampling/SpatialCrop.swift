/// Where a square crop sits in an upright frame: along the long side for three crops, centred for one.
public enum SpatialCrop: String, Sendable, Codable, CaseIterable {
    case left, centre, right
    case top, bottom

    /// The crops of a view plan: S = 1 is the centre; S = 3 runs along the long side (left, centre, right
    /// for a landscape video; top, centre, bottom for a portrait one).
    public static func crops(count: Int, portrait: Bool) -> [SpatialCrop] {
        switch (count, portrait) {
        case (1, _): [.centre]
        case (_, false): [.left, .centre, .right]
        case (_, true): [.top, .centre, .bottom]
        }
    }

    /// The crop's top-left corner in a `width` × `height` frame for a square of side `size`.
    ///
    /// Offsets follow PySlowFast's `uniform_crop`: 0, ceil((L − size) / 2) or L − size along the long side,
    /// ceil((S − size) / 2) along the short side.
    public func origin(width: Int, height: Int, size: Int) -> (x: Int, y: Int) {
        let centreX = (width - size + 1) / 2, centreY = (height - size + 1) / 2
        return switch self {
        case .centre: (centreX, centreY)
        case .left: (0, centreY)
        case .right: (width - size, centreY)
        case .top: (centreX, 0)
        case .bottom: (centreX, height - size)
        }
    }
}
