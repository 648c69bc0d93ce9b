import ArgumentParser
import Foundation
import Models
import Numerics

/// `vivid bench`: times a model's forward pass on random input.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the forward pass: ms per view, GFLOP/s and peak memory.",
        discussion: "Published configurations for --arch: \(Architectures.published.map(\.name).joined(separator: ", "))."
    )

    @Option(help: "A model folder to time.") var model: String?
    @Option(help: "A published configuration to time instead of a folder.") var arch: String?
    @Flag(help: "Use random weights (required with --arch; no weight file is read).") var randomWeights = false
    @Option(help: "Views in one forward pass.") var views = 1
    @Option(help: "Cores every parallel loop (products, convolutions, norms) is split across (default: all).") var threads: Int?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "Also report the time spent in each kind of convolution (CNNs).") var profile = false
    @Option(help: "Timed forward passes after one untimed warm-up; ms per view is their median (default: one cold pass).")
    var runs: Int?
    @OptionGroup var precisionArguments: PrecisionArguments

    func validate() throws {
        guard (model == nil) != (arch == nil) else { throw ValidationError("give exactly one of --model and --arch") }
        if arch != nil, !randomWeights { throw ValidationError("--arch needs --random-weights (published weights are not bundled)") }
        if let arch, Architectures.published(named: arch) == nil {
            throw ValidationError("unknown --arch \(arch); known: \(Architectures.published.map(\.name).joined(separator: ", "))")
        }
        guard views >= 1 else { throw ValidationError("--views must be at least 1") }
        if let runs, runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        if let threads { Parallel.workers = threads }
        let precision = try precisionArguments.resolved()
        let network: any ActionModel
        if let arch, let published = Architectures.published(named: arch) {
            var config = published.config
            if let precision { config.precision = precision }
            network = try ModelLoader.make(config: config, weights: RandomWeights())
        } else {
            network = try ModelLoader.load(folder: model!, precision: precision)
        }
        let size = network.config.preprocessing.cropSize, frames = network.config.preprocessing.framesPerClip
        var random = SystemRandomNumberGenerator()
        let count = views * 3 * frames * size * size
        let clips = Tensor(shape: [views, 3, frames, size, size], storage: (0..<count).map { _ in Float.random(in: -1...1, using: &random) })

        // Small models vary from pass to pass (thread wake-ups, caches), so --runs reports the spread too.
        if runs != nil { _ = try network.forward(clips) }
        if profile { LayerProfile.shared.enable() }
        var passes: [Double] = []
        for _ in 0..<(runs ?? 1) {
            let start = ContinuousClock.now
            _ = try network.forward(clips)
            let elapsed = ContinuousClock.now - start
            passes.append(elapsed.inSeconds)
        }
        passes.sort()
        let seconds = passes[passes.count / 2]
        let result = BenchResult(
            arch: arch ?? network.config.name, precision: network.config.precision.rawValue,
            fp32Products: "\(GEMM.fp32Library.rawValue) (OpenBLAS kernel \(GEMM.openBLASKernel))", views: views, msPerView: seconds * 1000 / Double(views),
            gflopPerView: network.flopsPerView / 1e9, gflops: network.flopsPerView * Double(views) / seconds / 1e9,
            peakRSSMB: peakResidentMegabytes(),
            profileSeconds: profile ? LayerProfile.shared.totals.mapValues { $0 / Double(passes.count) } : nil,
            runs: runs.map { _ in passes.map { ($0 * 1000 / Double(views) * 100).rounded() / 100 } })
        if json {
            try CommandOutput.printJSON(result)
        } else {
            print(String(format: "%@ at %@: %d view(s), %.0f ms per view, %.1f GFLOP per view, %.1f GFLOP/s, peak RSS %.0f MB (%d threads; fp32 products on %@)",
                         result.arch, result.precision, views, result.msPerView, result.gflopPerView, result.gflops, result.peakRSSMB,
                         GEMM.threads, result.fp32Products))
            if let sorted = result.runs {
                print(String(format: "  %d runs, ms per view: min %.1f, median %.1f, max %.1f",
                             sorted.count, sorted.first!, result.msPerView, sorted.last!))
            }
            for (kind, spent) in (result.profileSeconds ?? [:]).sorted(by: { $0.value > $1.value }) {
                print(String(format: "  %@: %.0f ms (%.1f%%)", kind, spent * 1000, 100 * spent / seconds))
            }
        }
    }
}

struct BenchResult: Encodable {
    var arch: String
    var precision: String
    /// The library fp32 products run on, and the kernel OpenBLAS picked.
    var fp32Products: String
    var views: Int
    var msPerView: Double
    var gflopPerView: Double
    var gflops: Double
    var peakRSSMB: Double
    /// Seconds by layer kind per pass, with --profile.
    var profileSeconds: [String: Double]?
    /// With --runs: each timed pass's ms per view, fastest first.
    var runs: [Double]?

    enum CodingKeys: String, CodingKey {
        case arch, precision, views, gflops, runs = "runs_ms_per_view", fp32Products = "fp32_products"
        case msPerView = "ms_per_view", gflopPerView = "gflop_per_view", peakRSSMB = "peak_rss_mb", profileSeconds = "profile_s"
    }
}

/// The process's peak resident set (VmHWM) in megabytes, from /proc/self/status.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kilobytes / 1024
}
