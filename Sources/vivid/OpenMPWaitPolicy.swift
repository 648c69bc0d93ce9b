import Glibc

/// Makes oneDNN's OpenMP threads sleep rather than spin once a product ends.
///
/// With libgomp's default policy they spin for a while after each parallel region, taking the cores from
/// the vectorised kernels (norms, softmax, GELU, conversions) that run between products on Vivid's own
/// threads (`Benchmarks/RESULTS.md`, "OpenMP threads that spin"). libgomp reads
/// `OMP_WAIT_POLICY` only when it loads, before any Swift code runs, so `vivid` sets it and executes
/// itself again, once; a policy the user set is kept.
enum OpenMPWaitPolicy {
    static func ensurePassive() {
        guard getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "passive", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only a failed exec returns: carry on under libgomp's default policy.
    }
}
