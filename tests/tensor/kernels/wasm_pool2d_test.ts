/** maxPool2dForwardWasm (tensor/kernels/wasm/pool2d_wasm.ts) against the naive oracle. */

import { maxPool2dSuite } from "./_pool2d_suite.ts";
import { maxPool2dForwardWasm } from "../../../tensor/kernels/wasm/pool2d_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";

maxPool2dSuite([{
  maxForward: maxPool2dForwardWasm,
  skip: wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD",
}]);
