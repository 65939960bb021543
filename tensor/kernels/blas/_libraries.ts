/** The CBLAS libraries the blas kernels look for, per platform, and what each vendor is called. */

/** The platforms whose library names differ. */
export type OsName = "linux" | "darwin" | "windows";

/** Who made a library: told by the thread call it exports (or, for Accelerate, its path). */
export type Vendor = "openblas" | "mkl" | "blis" | "accelerate" | "unknown";

/**
 * Names tried in order when SHARDGRAD_BLAS is unset; a bare name goes through the system's
 * loader search (ld.so's cache and LD_LIBRARY_PATH, which cover the usual lib dirs). On Linux,
 * libblas.so.3 comes last because it is usually the reference BLAS: it is used only when it
 * exports OpenBLAS's, MKL's or BLIS's thread call (Debian's alternatives link it to OpenBLAS)
 * or measures at least REFERENCE_GFLOPS. macOS prefers Accelerate (Apple's own, on the matrix
 * units of Apple silicon), then Homebrew's OpenBLAS.
 */
export const LIBRARY_CANDIDATES: Readonly<Record<OsName, readonly string[]>> = {
  linux: [
    "libopenblas.so.0",
    "libopenblas.so",
    "/opt/OpenBLAS/lib/libopenblas.so",
    "libmkl_rt.so.2",
    "libmkl_rt.so",
    "libblis.so.4",
    "libblis.so",
    "libblas.so.3",
  ],
  darwin: [
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.dylib",
  ],
  windows: ["libopenblas.dll", "openblas.dll", "mkl_rt.2.dll"],
};

/**
 * The least GFLOP/s (best of three 128³ sgemm calls) a library that does not say what it is
 * must reach to be used without being named. Reference BLAS runs such a product at 1–3 GFLOP/s
 * on one modern x86 core and optimized libraries at 40–100, so 10 separates them even on a busy
 * machine; the WebAssembly kernels themselves reach ~50.
 */
export const REFERENCE_GFLOPS = 10;

/** A vendor's name for the kernels' descriptions. */
export function describeVendor(vendor: Vendor): string {
  switch (vendor) {
    case "openblas":
      return "OpenBLAS";
    case "mkl":
      return "Intel MKL";
    case "blis":
      return "BLIS";
    case "accelerate":
      return "Apple Accelerate";
    case "unknown":
      return "an unidentified CBLAS";
  }
}
