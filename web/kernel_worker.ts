/** The test page's kernel-check Worker: runs {@linkcode checkKernels} here and posts the report. */

import { checkKernels } from "./kernel_check.ts";

postMessage(checkKernels("worker"));
