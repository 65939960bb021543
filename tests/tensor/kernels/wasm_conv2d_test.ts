/** conv2d on WebAssembly SIMD (tensor/kernels/wasm/conv2d_wasm.ts) against the naive oracle. */

import { conv2dSuite } from "./_conv2d_suite.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
} from "../../../tensor/kernels/wasm/conv2d_wasm.ts";
import { wasmSimdSupported } from "../../../tensor/kernels/wasm/gemm_wasm.ts";

conv2dSuite([{
  forward: conv2dForwardWasm,
  backwardInput: conv2dBackwardInputWasm,
  backwardWeight: conv2dBackwardWeightWasm,
  skip: wasmSimdSupported() ? false : "this runtime has no WebAssembly SIMD",
}]);
