;; kernels.wat: the WebAssembly SIMD (f32x4) kernels of shardgrad: GEMM, im2col/col2im, stride-1
;; convolution as shifted taps (convTaps, convTapsWeight), the Winograd F(2×2, 3×3) transforms
;; (winogradInput, winogradOutput, and winogradOutputGrad for the weight gradient), max pooling.
;;
;; The source of tensor/kernels/wasm/_kernels_wasm_bytes.ts (scripts/build_wasm.ts assembles it
;; with the `wabt` npm package). gemm_wasm.ts and conv2d_wasm.ts copy operands into this module's
;; memory, call the exports, and copy results back; everything below works on byte addresses.
;;
;; gemm: C = alpha·op(A)·op(B) + beta·C in float32, blocked as Goto/BLIS (constants shared with
;; _instance.ts):
;;   for jc: NC = 1024 columns of C        op(B)[pc:pc+KC, jc:jc+NC] packed into bufB (L2/L3)
;;     for pc: KC = 256 of the depth
;;       for ic: MC = 128 rows of C        op(A)[ic:ic+MC, pc:pc+KC] packed into bufA (L2)
;;         for jr (8 columns), for ir (4 rows): $tile computes one 4×8 tile of C from a [kcp, 4]
;;           sliver of bufA and a [kcp, 8] sliver of bufB (L1) in 8 f32x4 accumulators.
;; A sliver is row-major [kcp, w] (w = 4 for A, 8 for B) with kcp = kc rounded up to a multiple
;; of 4 and zeros past the matrix edges, so $tile always runs whole 4-step unrolled iterations.
;;
;; Relaxed SIMD: every multiply-add is written exactly as
;;   (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get $acc))
;; build_wasm.ts emits this text as is (the relaxed-SIMD module, fused where the CPU has FMA) and
;; once more with each one rewritten to (f32x4.add (f32x4.mul x y) acc) (the plain SIMD module).
;;
;; Memory map: bytes [0, 128) are the edge-tile scratch; the caller places everything else at or
;; above byte 256 and grows the memory as needed.
(module
  (memory (export "memory") 1)

  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_s (local.get $x) (local.get $y))))

  ;; C[0:mr, 0:nr] = alpha·T + (overwrite ? 0 : beta·C[0:mr, 0:nr]), T = Σ_p a[p, 0:4]ᵀ·b[p, 0:8]:
  ;; a is a [kcp, 4] sliver, b a [kcp, 8] sliver, C has a row stride of $ldc BYTES, mr ≤ 4, nr ≤ 8.
  (func $tile (param $kcp i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32)
      (param $mr i32) (param $nr i32) (param $alpha f32) (param $beta f32) (param $overwrite i32)
    (local $end i32) (local $row i32) (local $s i32) (local $i i32) (local $j i32)
    (local $av v128) (local $b0 v128) (local $b1 v128) (local $va v128) (local $vb v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $kcp) (i32.const 4))))
      (loop $k
          (local.set $b0 (v128.load offset=0 (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load32_splat offset=0 (local.get $a)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=32 (local.get $b)))
          (local.set $b1 (v128.load offset=48 (local.get $b)))
          (local.set $av (v128.load32_splat offset=16 (local.get $a)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=20 (local.get $a)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=24 (local.get $a)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=28 (local.get $a)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=64 (local.get $b)))
          (local.set $b1 (v128.load offset=80 (local.get $b)))
          (local.set $av (v128.load32_splat offset=32 (local.get $a)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=36 (local.get $a)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=40 (local.get $a)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=44 (local.get $a)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $b0 (v128.load offset=96 (local.get $b)))
          (local.set $b1 (v128.load offset=112 (local.get $b)))
          (local.set $av (v128.load32_splat offset=48 (local.get $a)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=52 (local.get $a)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=56 (local.get $a)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=60 (local.get $a)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $a (i32.add (local.get $a) (i32.const 64)))
          (local.set $b (i32.add (local.get $b) (i32.const 128)))
          (br_if $k (i32.lt_u (local.get $a) (local.get $end))))
    (local.set $va (f32x4.splat (local.get $alpha)))
    (local.set $vb (f32x4.splat (local.get $beta)))
    (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
      (then
        (local.set $row (local.get $c))
        (if (local.get $overwrite)
          (then
            (v128.store offset=0 (local.get $row) (f32x4.mul (local.get $va) (local.get $c00)))
            (v128.store offset=16 (local.get $row) (f32x4.mul (local.get $va) (local.get $c01)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.mul (local.get $va) (local.get $c10)))
            (v128.store offset=16 (local.get $row) (f32x4.mul (local.get $va) (local.get $c11)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.mul (local.get $va) (local.get $c20)))
            (v128.store offset=16 (local.get $row) (f32x4.mul (local.get $va) (local.get $c21)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.mul (local.get $va) (local.get $c30)))
            (v128.store offset=16 (local.get $row) (f32x4.mul (local.get $va) (local.get $c31))))
          (else
            (v128.store offset=0 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c00))
              (f32x4.mul (local.get $vb) (v128.load offset=0 (local.get $row)))))
            (v128.store offset=16 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c01))
              (f32x4.mul (local.get $vb) (v128.load offset=16 (local.get $row)))))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c10))
              (f32x4.mul (local.get $vb) (v128.load offset=0 (local.get $row)))))
            (v128.store offset=16 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c11))
              (f32x4.mul (local.get $vb) (v128.load offset=16 (local.get $row)))))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c20))
              (f32x4.mul (local.get $vb) (v128.load offset=0 (local.get $row)))))
            (v128.store offset=16 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c21))
              (f32x4.mul (local.get $vb) (v128.load offset=16 (local.get $row)))))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (v128.store offset=0 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c30))
              (f32x4.mul (local.get $vb) (v128.load offset=0 (local.get $row)))))
            (v128.store offset=16 (local.get $row) (f32x4.add (f32x4.mul (local.get $va) (local.get $c31))
              (f32x4.mul (local.get $vb) (v128.load offset=16 (local.get $row)))))))
        (return)))
    ;; An edge tile: alpha·T goes to the scratch [4, 8] at byte 0, then only mr×nr cells reach C.
    (v128.store offset=0 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c00)))
    (v128.store offset=16 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c01)))
    (v128.store offset=32 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c10)))
    (v128.store offset=48 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c11)))
    (v128.store offset=64 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c20)))
    (v128.store offset=80 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c21)))
    (v128.store offset=96 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c30)))
    (v128.store offset=112 (i32.const 0) (f32x4.mul (local.get $va) (local.get $c31)))
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $row (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $s (i32.shl (local.get $i) (i32.const 5)))
      (local.set $j (i32.const 0))
      (loop $cols
        (if (local.get $overwrite)
          (then (f32.store (local.get $row) (f32.load (local.get $s))))
          (else (f32.store (local.get $row) (f32.add (f32.load (local.get $s))
            (f32.mul (local.get $beta) (f32.load (local.get $row)))))))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $nr))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $mr)))))

  ;; Scalar packing of sliver rows p ∈ [p0, p1) of the sliver starting at panel row j0 into $dst
  ;; (see $pack for the layout); cells with p ≥ kc or j0 + j ≥ d are 0.
  (func $packScalar (param $src i32) (param $ld i32) (param $alongJ i32) (param $d i32)
      (param $kc i32) (param $w i32) (param $j0 i32) (param $p0 i32) (param $p1 i32) (param $dst i32)
    (local $p i32) (local $j i32)
    (local.set $p (local.get $p0))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $p) (local.get $p1)))
        (local.set $j (local.get $j0))
        (loop $cols
          (f32.store (local.get $dst)
            (if (result f32) (i32.and (i32.lt_u (local.get $p) (local.get $kc)) (i32.lt_u (local.get $j) (local.get $d)))
              (then (f32.load (i32.add (local.get $src) (i32.shl (select
                (i32.add (i32.mul (local.get $p) (local.get $ld)) (local.get $j))
                (i32.add (i32.mul (local.get $j) (local.get $ld)) (local.get $p))
                (local.get $alongJ)) (i32.const 2)))))
              (else (f32.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1)))
            (i32.add (local.get $j0) (local.get $w)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows))))

  ;; Packs a panel X[j, p] (j < d, p < kc) into slivers of w = 4 or 8 consecutive j, each stored
  ;; row-major [kcp, w] (kcp = kc rounded up to 4), zero-padded past d and kc, back to back at $dst.
  ;; X[j, p] is at src + 4·(p·ld + j) when $alongJ (rows of a sliver are contiguous: vector copies),
  ;; else at src + 4·(j·ld + p) (4×4 blocks are transposed with shuffles).
  (func $pack (param $src i32) (param $ld i32) (param $alongJ i32) (param $d i32) (param $kc i32)
      (param $w i32) (param $dst i32)
    (local $kcp i32) (local $kc4 i32) (local $j0 i32) (local $p i32) (local $g i32) (local $s i32)
    (local $o i32) (local $ldb i32) (local $wb i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $kcp (i32.and (i32.add (local.get $kc) (i32.const 3)) (i32.const -4)))
    (local.set $kc4 (i32.and (local.get $kc) (i32.const -4)))
    (local.set $ldb (i32.shl (local.get $ld) (i32.const 2)))
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (local.set $j0 (i32.const 0))
    (loop $slivers
      (if (i32.gt_u (i32.add (local.get $j0) (local.get $w)) (local.get $d))
        (then
          (call $packScalar (local.get $src) (local.get $ld) (local.get $alongJ) (local.get $d)
            (local.get $kc) (local.get $w) (local.get $j0) (i32.const 0) (local.get $kcp) (local.get $dst)))
        (else (if (local.get $alongJ)
          (then
            (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j0) (i32.const 2))))
            (local.set $o (local.get $dst))
            (local.set $p (i32.const 0))
            (loop $copy
              (v128.store (local.get $o) (v128.load (local.get $s)))
              (if (i32.eq (local.get $w) (i32.const 8))
                (then (v128.store offset=16 (local.get $o) (v128.load offset=16 (local.get $s)))))
              (local.set $s (i32.add (local.get $s) (local.get $ldb)))
              (local.set $o (i32.add (local.get $o) (local.get $wb)))
              (br_if $copy (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))
            (call $packScalar (local.get $src) (local.get $ld) (local.get $alongJ) (local.get $d)
              (local.get $kc) (local.get $w) (local.get $j0) (local.get $kc) (local.get $kcp) (local.get $o)))
          (else
            (local.set $g (i32.const 0))
            (loop $groups
              (local.set $s (i32.add (local.get $src)
                (i32.mul (i32.add (local.get $j0) (local.get $g)) (local.get $ldb))))
              (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $g) (i32.const 2))))
              (local.set $p (i32.const 0))
              (block $done
                (loop $blocks
                  (br_if $done (i32.ge_u (local.get $p) (local.get $kc4)))
                  (local.set $r0 (v128.load (local.get $s)))
                  (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $ldb))))
                  (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $ldb) (i32.const 1)))))
                  (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $ldb) (i32.const 3)))))
                  (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  (v128.store (local.get $o)
                    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                  (v128.store (i32.add (local.get $o) (local.get $wb))
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                  (v128.store (i32.add (local.get $o) (i32.shl (local.get $wb) (i32.const 1)))
                    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                  (v128.store (i32.add (local.get $o) (i32.mul (local.get $wb) (i32.const 3)))
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                  (local.set $s (i32.add (local.get $s) (i32.const 16)))
                  (local.set $o (i32.add (local.get $o) (i32.shl (local.get $wb) (i32.const 2))))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $blocks)))
              (br_if $groups (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 4))) (local.get $w))))
            (call $packScalar (local.get $src) (local.get $ld) (local.get $alongJ) (local.get $d)
              (local.get $kc) (local.get $w) (local.get $j0) (local.get $kc4) (local.get $kcp)
              (i32.add (local.get $dst) (i32.mul (local.get $kc4) (local.get $wb))))))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kcp) (local.get $wb))))
      (br_if $slivers (i32.lt_u (local.tee $j0 (i32.add (local.get $j0) (local.get $w))) (local.get $d)))))

  ;; C = alpha·op(A)·op(B) + beta·C (C = alpha·op(A)·op(B) when $overwrite, whatever C held).
  ;; op(A)[i, p] is at a + 4·(i·lda + p), or a + 4·(p·lda + i) when $transA; op(B)[p, j] is at
  ;; b + 4·(p·ldb + j), or b + 4·(j·ldb + p) when $transB; C[i, j] is at c + 4·(i·ldc + j).
  ;; m, n, k ≥ 1. $work: 16-byte aligned room for bufA (MC·KC floats) then bufB (KC·min(NC, n↑8)).
  (func (export "gemm") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32)
      (param $k i32) (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32)
      (param $ldc i32) (param $alpha f32) (param $beta f32) (param $overwrite i32) (param $work i32)
    (local $bufA i32) (local $bufB i32) (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $kcp i32) (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)
    (local $bt f32) (local $over i32) (local $ldcb i32)
    (local.set $bufA (local.get $work))
    (local.set $bufB (i32.add (local.get $work) (i32.const 131072)))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $jc (i32.const 0))
    (loop $jcLoop
      (local.set $nc (call $min (i32.const 1024) (i32.sub (local.get $n) (local.get $jc))))
      (local.set $pc (i32.const 0))
      (loop $pcLoop
        (local.set $kc (call $min (i32.const 256) (i32.sub (local.get $k) (local.get $pc))))
        (local.set $kcp (i32.and (i32.add (local.get $kc) (i32.const 3)) (i32.const -4)))
        ;; beta (or overwriting) applies in the first depth block only; later blocks accumulate.
        (local.set $over (i32.and (local.get $overwrite) (i32.eqz (local.get $pc))))
        (local.set $bt (select (local.get $beta) (f32.const 1) (i32.eqz (local.get $pc))))
        (call $pack
          (i32.add (local.get $b) (i32.shl (select
            (i32.add (i32.mul (local.get $jc) (local.get $ldb)) (local.get $pc))
            (i32.add (i32.mul (local.get $pc) (local.get $ldb)) (local.get $jc))
            (local.get $transB)) (i32.const 2)))
          (local.get $ldb) (i32.eqz (local.get $transB)) (local.get $nc) (local.get $kc) (i32.const 8)
          (local.get $bufB))
        (local.set $ic (i32.const 0))
        (loop $icLoop
          (local.set $mc (call $min (i32.const 128) (i32.sub (local.get $m) (local.get $ic))))
          (call $pack
            (i32.add (local.get $a) (i32.shl (select
              (i32.add (i32.mul (local.get $pc) (local.get $lda)) (local.get $ic))
              (i32.add (i32.mul (local.get $ic) (local.get $lda)) (local.get $pc))
              (local.get $transA)) (i32.const 2)))
            (local.get $lda) (local.get $transA) (local.get $mc) (local.get $kc) (i32.const 4)
            (local.get $bufA))
          (local.set $jr (i32.const 0))
          (loop $jrLoop
            (local.set $ir (i32.const 0))
            (loop $irLoop
              (call $tile (local.get $kcp)
                (i32.add (local.get $bufA) (i32.shl (i32.mul (local.get $ir) (local.get $kcp)) (i32.const 2)))
                (i32.add (local.get $bufB) (i32.shl (i32.mul (local.get $jr) (local.get $kcp)) (i32.const 2)))
                (i32.add (local.get $c) (i32.shl (i32.add
                  (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                  (i32.add (local.get $jc) (local.get $jr))) (i32.const 2)))
                (local.get $ldcb)
                (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $ir)))
                (call $min (i32.const 8) (i32.sub (local.get $nc) (local.get $jr)))
                (local.get $alpha) (local.get $bt) (local.get $over))
              (br_if $irLoop (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const 4))) (local.get $mc))))
            (br_if $jrLoop (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const 8))) (local.get $nc))))
          (br_if $icLoop (i32.lt_u (local.tee $ic (i32.add (local.get $ic) (i32.const 128))) (local.get $m))))
        (br_if $pcLoop (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (i32.const 256))) (local.get $k))))
      (br_if $jcLoop (i32.lt_u (local.tee $jc (i32.add (local.get $jc) (i32.const 1024))) (local.get $n)))))
  ;; First output index i ≥ 0 whose input index i·stride − pad + off is ≥ 0 (at most outSize).
  (func $firstInside (param $pad i32) (param $off i32) (param $stride i32) (param $outSize i32)
      (result i32)
    (if (result i32) (i32.le_s (i32.sub (local.get $pad) (local.get $off)) (i32.const 0))
      (then (i32.const 0))
      (else (call $min (local.get $outSize)
        (i32.div_s (i32.add (i32.sub (local.get $pad) (local.get $off)) (i32.sub (local.get $stride) (i32.const 1)))
          (local.get $stride))))))

  ;; One past the last output index i whose input index i·stride − pad + off is < size.
  (func $endInside (param $pad i32) (param $off i32) (param $stride i32) (param $size i32)
      (param $outSize i32) (result i32)
    (local $num i32)
    (local.set $num (i32.sub (i32.add (i32.sub (local.get $size) (i32.const 1)) (local.get $pad)) (local.get $off)))
    (if (result i32) (i32.lt_s (local.get $num) (i32.const 0))
      (then (i32.const 0))
      (else (call $min (local.get $outSize)
        (i32.add (i32.div_s (local.get $num) (local.get $stride)) (i32.const 1))))))

  ;; Zeroes $count floats at $dst.
  (func $zero (param $dst i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $vec
        (br_if $done (i32.gt_u (i32.add (local.get $dst) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $vec)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $one))))

  ;; im2col (when $add is 0) or its adjoint col2im (when $add is 1) for one sample's channels,
  ;; as tensor/kernels/im2col.ts: with x the [c, h, w] image at $x and cols the
  ;; [c·kh·kw, hOut·wOut] matrix at $cols,
  ;;   cols[(ci·kh + p)·kw + q, i·wOut + j] ↔ x[ci, i·sh − ph + p·dh, j·sw − pw + q·dw].
  ;; im2col overwrites cols (0 where the window lies in the padding); col2im ADDS every cols
  ;; entry onto its x cell and drops padding entries.
  (func (export "im2col") (param $x i32) (param $c i32) (param $h i32) (param $w i32)
      (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $ph i32) (param $pw i32)
      (param $dh i32) (param $dw i32) (param $hOut i32) (param $wOut i32) (param $cols i32)
      (param $add i32)
    (local $ci i32) (local $p i32) (local $q i32) (local $i i32) (local $plane i32) (local $row i32)
    (local $iLo i32) (local $iHi i32) (local $jLo i32) (local $jHi i32) (local $dst i32) (local $src i32)
    (local $j i32) (local $sd i32) (local $ss i32) (local $rowBytes i32) (local $swb i32) (local $iEnd i32)
    (local.set $rowBytes (i32.shl (local.get $wOut) (i32.const 2)))
    (local.set $swb (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $row (local.get $cols))
    (local.set $ci (i32.const 0))
    (loop $channels
      (local.set $plane (i32.add (local.get $x)
        (i32.shl (i32.mul (local.get $ci) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))))
      (local.set $p (i32.const 0))
      (loop $kRows
        (local.set $iLo (call $firstInside (local.get $ph) (i32.mul (local.get $p) (local.get $dh))
          (local.get $sh) (local.get $hOut)))
        (local.set $iHi (call $endInside (local.get $ph) (i32.mul (local.get $p) (local.get $dh))
          (local.get $sh) (local.get $h) (local.get $hOut)))
        (local.set $q (i32.const 0))
        (loop $kCols
          (local.set $jLo (call $firstInside (local.get $pw) (i32.mul (local.get $q) (local.get $dw))
            (local.get $sw) (local.get $wOut)))
          (local.set $jHi (call $endInside (local.get $pw) (i32.mul (local.get $q) (local.get $dw))
            (local.get $sw) (local.get $w) (local.get $wOut)))
          ;; a kernel column whose windows all lie in the padding leaves every row empty
          (local.set $iEnd (select (local.get $iLo) (local.get $iHi) (i32.ge_s (local.get $jLo) (local.get $jHi))))
          (local.set $i (i32.const 0))
          ;; Every window of this tap inside the image, stride 1 along rows, unfolding: hOut row
          ;; copies with running addresses (the bookkeeping below costs more than short rows).
          (if (i32.and (i32.and (i32.eqz (local.get $add)) (i32.eq (local.get $sw) (i32.const 1)))
                (i32.and (i32.and (i32.eqz (local.get $iLo)) (i32.eq (local.get $iHi) (local.get $hOut)))
                  (i32.and (i32.eqz (local.get $jLo)) (i32.eq (local.get $jHi) (local.get $wOut)))))
            (then
              (local.set $src (i32.add (local.get $plane) (i32.shl (i32.add
                (i32.mul (i32.sub (i32.mul (local.get $p) (local.get $dh)) (local.get $ph)) (local.get $w))
                (i32.sub (i32.mul (local.get $q) (local.get $dw)) (local.get $pw))) (i32.const 2))))
              (local.set $dst (local.get $row))
              (local.set $iEnd (i32.add (local.get $row) (i32.mul (local.get $hOut) (local.get $rowBytes))))
              (loop $fastRows
                (local.set $ss (local.get $src))
                (local.set $sd (local.get $dst))
                (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
                (block $done
                  (loop $vec
                    (br_if $done (i32.gt_u (i32.add (local.get $sd) (i32.const 16)) (local.get $dst)))
                    (v128.store (local.get $sd) (v128.load (local.get $ss)))
                    (local.set $sd (i32.add (local.get $sd) (i32.const 16)))
                    (local.set $ss (i32.add (local.get $ss) (i32.const 16)))
                    (br $vec)))
                (block $done
                  (loop $one
                    (br_if $done (i32.ge_u (local.get $sd) (local.get $dst)))
                    (f32.store (local.get $sd) (f32.load (local.get $ss)))
                    (local.set $sd (i32.add (local.get $sd) (i32.const 4)))
                    (local.set $ss (i32.add (local.get $ss) (i32.const 4)))
                    (br $one)))
                (local.set $src (i32.add (local.get $src) (i32.shl (i32.mul (local.get $sh) (local.get $w)) (i32.const 2))))
                (br_if $fastRows (i32.lt_u (local.get $dst) (local.get $iEnd))))
              ;; skip the general rows
              (local.set $i (local.get $hOut))))
          (if (i32.lt_s (local.get $i) (local.get $hOut)) (then
          (loop $outRows
              (local.set $dst (i32.add (local.get $row) (i32.mul (local.get $i) (local.get $rowBytes))))
              (if (i32.or (i32.lt_s (local.get $i) (local.get $iLo)) (i32.ge_s (local.get $i) (local.get $iEnd)))
                (then (if (i32.eqz (local.get $add)) (then (call $zero (local.get $dst) (local.get $wOut)))))
                (else
                  ;; x address of output column j = 0 (only j ∈ [jLo, jHi) are read or written)
                  (local.set $src (i32.add (local.get $plane) (i32.shl (i32.add
                    (i32.mul (i32.add (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $ph))
                      (i32.mul (local.get $p) (local.get $dh))) (local.get $w))
                    (i32.sub (i32.mul (local.get $q) (local.get $dw)) (local.get $pw))) (i32.const 2))))
                  ;; the padding's few columns at either end, zeroed in place (a call costs more)
                  (if (i32.eqz (local.get $add)) (then
                    (local.set $sd (local.get $dst))
                    (local.set $ss (i32.add (local.get $dst) (i32.shl (local.get $jLo) (i32.const 2))))
                    (block $done
                      (loop $left
                        (br_if $done (i32.ge_u (local.get $sd) (local.get $ss)))
                        (f32.store (local.get $sd) (f32.const 0))
                        (local.set $sd (i32.add (local.get $sd) (i32.const 4)))
                        (br $left)))
                    (local.set $sd (i32.add (local.get $dst) (i32.shl (local.get $jHi) (i32.const 2))))
                    (local.set $ss (i32.add (local.get $dst) (local.get $rowBytes)))
                    (block $done
                      (loop $right
                        (br_if $done (i32.ge_u (local.get $sd) (local.get $ss)))
                        (f32.store (local.get $sd) (f32.const 0))
                        (local.set $sd (i32.add (local.get $sd) (i32.const 4)))
                        (br $right)))))
                  (local.set $j (local.get $jLo))
                  (local.set $sd (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
                  (local.set $ss (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $swb))))
                  (if (i32.eq (local.get $sw) (i32.const 1))
                    (then
                      (if (local.get $add)
                        (then
                          (block $done
                            (loop $vec
                              (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $jHi)))
                              (v128.store (local.get $ss)
                                (f32x4.add (v128.load (local.get $ss)) (v128.load (local.get $sd))))
                              (local.set $sd (i32.add (local.get $sd) (i32.const 16)))
                              (local.set $ss (i32.add (local.get $ss) (i32.const 16)))
                              (local.set $j (i32.add (local.get $j) (i32.const 4)))
                              (br $vec))))
                        (else
                          (block $done
                            (loop $vec
                              (br_if $done (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $jHi)))
                              (v128.store (local.get $sd) (v128.load (local.get $ss)))
                              (local.set $sd (i32.add (local.get $sd) (i32.const 16)))
                              (local.set $ss (i32.add (local.get $ss) (i32.const 16)))
                              (local.set $j (i32.add (local.get $j) (i32.const 4)))
                              (br $vec)))
                          ;; a ragged end of a row of four or more: its last four, overlapping
                          (if (i32.and (i32.lt_s (local.get $j) (local.get $jHi))
                                (i32.ge_s (i32.sub (local.get $jHi) (local.get $jLo)) (i32.const 4)))
                            (then
                              (local.set $sd (i32.sub (i32.add (local.get $sd)
                                (i32.shl (i32.sub (local.get $jHi) (local.get $j)) (i32.const 2))) (i32.const 16)))
                              (local.set $ss (i32.sub (i32.add (local.get $ss)
                                (i32.shl (i32.sub (local.get $jHi) (local.get $j)) (i32.const 2))) (i32.const 16)))
                              (v128.store (local.get $sd) (v128.load (local.get $ss)))
                              (local.set $j (local.get $jHi))))))))
                  (block $done
                    (loop $one
                      (br_if $done (i32.ge_s (local.get $j) (local.get $jHi)))
                      (if (local.get $add)
                        (then (f32.store (local.get $ss) (f32.add (f32.load (local.get $ss)) (f32.load (local.get $sd)))))
                        (else (f32.store (local.get $sd) (f32.load (local.get $ss)))))
                      (local.set $sd (i32.add (local.get $sd) (i32.const 4)))
                      (local.set $ss (i32.add (local.get $ss) (local.get $swb)))
                      (local.set $j (i32.add (local.get $j) (i32.const 1)))
                      (br $one)))))
              (br_if $outRows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $hOut))))))
            (local.set $row (i32.add (local.get $row) (i32.mul (local.get $hOut) (local.get $rowBytes))))
            (br_if $kCols (i32.lt_s (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $kw))))
          (br_if $kRows (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kh))))
        (br_if $channels (i32.lt_s (local.tee $ci (i32.add (local.get $ci) (i32.const 1))) (local.get $c)))))
  
    ;; Copies a [planes, rows, cols] block of floats from $src to $dst; row and plane strides are in
    ;; floats ($sr, $sp at the source, $dr, $dp at the destination). conv2d_wasm.ts uses it to pad
    ;; images into the zero-bordered planes of the tap kernels and to crop their outputs back.
    (func (export "copyRows") (param $src i32) (param $dst i32) (param $planes i32) (param $rows i32)
        (param $cols i32) (param $sr i32) (param $sp i32) (param $dr i32) (param $dp i32)
      (local $pl i32) (local $r i32) (local $s i32) (local $d i32) (local $end i32) (local $end4 i32)
      (local.set $pl (i32.const 0))
      (loop $planes
        (local.set $r (i32.const 0))
        (loop $rows
          (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $pl) (local.get $sp))
            (i32.mul (local.get $r) (local.get $sr))) (i32.const 2))))
          (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $pl) (local.get $dp))
            (i32.mul (local.get $r) (local.get $dr))) (i32.const 2))))
          (local.set $end (i32.add (local.get $s) (i32.shl (local.get $cols) (i32.const 2))))
          (local.set $end4 (i32.sub (local.get $end) (i32.const 16)))
          (block $done
            (loop $vec
              (br_if $done (i32.gt_s (local.get $s) (local.get $end4)))
              (v128.store (local.get $d) (v128.load (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $d (i32.add (local.get $d) (i32.const 16)))
              (br $vec)))
          (block $done
            (loop $one
              (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
              (f32.store (local.get $d) (f32.load (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 4)))
              (local.set $d (i32.add (local.get $d) (i32.const 4)))
              (br $one)))
          (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows))))
        (br_if $planes (i32.lt_s (local.tee $pl (i32.add (local.get $pl) (i32.const 1))) (local.get $planes)))))
  
    ;; convTaps for 4 outputs of one sample: the weight block at $wb, x at $xb, output planes at $y,
    ;; $y + $ldyb, ... (bytes); per output row 8 outputs at a time in a 4×8 register tile as in
    ;; $tile. $outRows rows of $outW outputs; row i reads x from $xb + i·$ldxb and is written
    ;; from $y + 4·i·$outW (bytes), so the up to 7 junk outputs past a row land on the next row's
    ;; start before it is computed, and past the last row on the plane's slack.
    (func $tapsBlock (param $xb i32) (param $offs i32) (param $end i32) (param $wb i32) (param $y i32)
        (param $ldyb i32) (param $outRows i32) (param $outW i32) (param $ldxb i32)
      (local $i i32) (local $j i32) (local $xj i32) (local $po i32) (local $pw i32) (local $pa i32)
      (local $av v128) (local $b0 v128) (local $b1 v128)
      (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
      (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
      (local.set $i (i32.const 0))
      (loop $outRows
      (local.set $j (i32.const 0))
      (loop $chunks
        (local.set $c00 (v128.load32_splat offset=0 (local.get $wb)))
        (local.set $c01 (local.get $c00))
        (local.set $c10 (v128.load32_splat offset=4 (local.get $wb)))
        (local.set $c11 (local.get $c10))
        (local.set $c20 (v128.load32_splat offset=8 (local.get $wb)))
        (local.set $c21 (local.get $c20))
        (local.set $c30 (v128.load32_splat offset=12 (local.get $wb)))
        (local.set $c31 (local.get $c30))
        (local.set $xj (i32.add (local.get $xb) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $po (local.get $offs))
        (local.set $pw (i32.add (local.get $wb) (i32.const 16)))
        (loop $taps
          (local.set $pa (i32.add (local.get $xj) (i32.load offset=0 (local.get $po))))
          (local.set $b0 (v128.load offset=0 (local.get $pa)))
          (local.set $b1 (v128.load offset=16 (local.get $pa)))
          (local.set $av (v128.load32_splat offset=0 (local.get $pw)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=4 (local.get $pw)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=8 (local.get $pw)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=12 (local.get $pw)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $pa (i32.add (local.get $xj) (i32.load offset=4 (local.get $po))))
          (local.set $b0 (v128.load offset=0 (local.get $pa)))
          (local.set $b1 (v128.load offset=16 (local.get $pa)))
          (local.set $av (v128.load32_splat offset=16 (local.get $pw)))
          (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
          (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
          (local.set $av (v128.load32_splat offset=20 (local.get $pw)))
          (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
          (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
          (local.set $av (v128.load32_splat offset=24 (local.get $pw)))
          (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
          (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
          (local.set $av (v128.load32_splat offset=28 (local.get $pw)))
          (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
          (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
          (local.set $pw (i32.add (local.get $pw) (i32.const 32)))
          (br_if $taps (i32.lt_u (local.tee $po (i32.add (local.get $po) (i32.const 8))) (local.get $end))))
        (local.set $pa (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store offset=0 (local.get $pa) (local.get $c00))
        (v128.store offset=16 (local.get $pa) (local.get $c01))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldyb)))
        (v128.store offset=0 (local.get $pa) (local.get $c10))
        (v128.store offset=16 (local.get $pa) (local.get $c11))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldyb)))
        (v128.store offset=0 (local.get $pa) (local.get $c20))
        (v128.store offset=16 (local.get $pa) (local.get $c21))
        (local.set $pa (i32.add (local.get $pa) (local.get $ldyb)))
        (v128.store offset=0 (local.get $pa) (local.get $c30))
        (v128.store offset=16 (local.get $pa) (local.get $c31))
        (br_if $chunks (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $outW))))
    (local.set $xb (i32.add (local.get $xb) (local.get $ldxb)))
    (local.set $y (i32.add (local.get $y) (i32.shl (local.get $outW) (i32.const 2))))
    (br_if $outRows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $outRows)))))

  ;; convTaps for one output of one sample: bias then weights 16 bytes apart from $w, x at $xb,
  ;; the output plane at $y, rows as in $tapsBlock but 32 outputs at a time in 8 accumulators (up
  ;; to 31 junk outputs past a row).
  (func $tapsRow (param $xb i32) (param $offs i32) (param $end i32) (param $w i32) (param $y i32)
      (param $outRows i32) (param $outW i32) (param $ldxb i32)
    (local $i i32) (local $j i32) (local $xj i32) (local $po i32) (local $pw i32) (local $pa i32)
    (local $av v128) (local $b v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (local.set $i (i32.const 0))
    (loop $outRows
      (local.set $j (i32.const 0))
      (loop $chunks
        (local.set $c0 (v128.load32_splat (local.get $w)))
        (local.set $c1 (local.get $c0)) (local.set $c2 (local.get $c0)) (local.set $c3 (local.get $c0))
        (local.set $c4 (local.get $c0)) (local.set $c5 (local.get $c0)) (local.set $c6 (local.get $c0))
        (local.set $c7 (local.get $c0))
        (local.set $xj (i32.add (local.get $xb) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $po (local.get $offs))
        (local.set $pw (i32.add (local.get $w) (i32.const 16)))
        (loop $taps
          (local.set $pa (i32.add (local.get $xj) (i32.load (local.get $po))))
          (local.set $av (v128.load32_splat (local.get $pw)))
          (local.set $b (v128.load offset=0 (local.get $pa)))
          (local.set $c0 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c0)))
          (local.set $b (v128.load offset=16 (local.get $pa)))
          (local.set $c1 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c1)))
          (local.set $b (v128.load offset=32 (local.get $pa)))
          (local.set $c2 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c2)))
          (local.set $b (v128.load offset=48 (local.get $pa)))
          (local.set $c3 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c3)))
          (local.set $b (v128.load offset=64 (local.get $pa)))
          (local.set $c4 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c4)))
          (local.set $b (v128.load offset=80 (local.get $pa)))
          (local.set $c5 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c5)))
          (local.set $b (v128.load offset=96 (local.get $pa)))
          (local.set $c6 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c6)))
          (local.set $b (v128.load offset=112 (local.get $pa)))
          (local.set $c7 (f32x4.relaxed_madd (local.get $av) (local.get $b) (local.get $c7)))
          (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
          (br_if $taps (i32.lt_u (local.tee $po (i32.add (local.get $po) (i32.const 4))) (local.get $end))))
        (local.set $pa (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store offset=0 (local.get $pa) (local.get $c0))
        (v128.store offset=16 (local.get $pa) (local.get $c1))
        (v128.store offset=32 (local.get $pa) (local.get $c2))
        (v128.store offset=48 (local.get $pa) (local.get $c3))
        (v128.store offset=64 (local.get $pa) (local.get $c4))
        (v128.store offset=80 (local.get $pa) (local.get $c5))
        (v128.store offset=96 (local.get $pa) (local.get $c6))
        (v128.store offset=112 (local.get $pa) (local.get $c7))
        (br_if $chunks (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 32))) (local.get $outW))))
    (local.set $xb (i32.add (local.get $xb) (local.get $ldxb)))
    (local.set $y (i32.add (local.get $y) (i32.shl (local.get $outW) (i32.const 2))))
    (br_if $outRows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $outRows)))))

  ;; Stride-1 convolution as a sum of shifted taps, with no im2col matrix and no packing. The
  ;; input planes are zero-padded and flattened with one row stride, so tap r of output (i, j)
  ;; reads x at off_r + i·ldx + j, and
  ;;   y[s, o, i·outW + j] = bias[o] + Σ_r w[o, r] · x[s, off_r + i·ldx + j]
  ;; for r < rows, o < m, i < outRows, j < outW. Either outRows = 1 and outW = n flat outputs over
  ;; the padded rows (their columns past the real width are junk the caller drops), or the real
  ;; output rows with ldx the padded row stride (no junk columns in between).
  ;; $offs holds the byte offsets off_r (rows even; a padding tap has weight 0). $w holds ⌈m/4⌉
  ;; blocks of 16 + 16·rows bytes: the block's 4 biases, then rows × 4 weights (zero past m).
  ;; Sample s's input is at x + 4·s·xs, its output plane o at y + 4·(s·ys + o·ldy). Rows are
  ;; computed 8 ($tapsBlock) or 32 ($tapsRow) outputs at a time, so ldy ≥ (outRows − 1)·outW +
  ;; outW↑32 and x must be readable 4·((outRows − 1)·ldx + outW↑32) bytes past the largest offset.
  (func (export "convTaps") (param $x i32) (param $xs i32) (param $samples i32) (param $offs i32)
      (param $rows i32) (param $w i32) (param $m i32) (param $y i32) (param $ldy i32) (param $ys i32)
      (param $outRows i32) (param $outW i32) (param $ldx i32)
    (local $s i32) (local $ob i32) (local $mo i32) (local $j i32) (local $wb i32) (local $xb i32)
    (local $end i32) (local $row i32) (local $ldyb i32)
    (local.set $ldyb (i32.shl (local.get $ldy) (i32.const 2)))
    (local.set $end (i32.add (local.get $offs) (i32.shl (local.get $rows) (i32.const 2))))
    (local.set $s (i32.const 0))
    (loop $samples
      (local.set $ob (i32.const 0))
      (loop $blocks
        (local.set $mo (call $min (i32.const 4) (i32.sub (local.get $m) (local.get $ob))))
        (local.set $wb (i32.add (local.get $w) (i32.mul (i32.shr_u (local.get $ob) (i32.const 2))
          (i32.add (i32.const 16) (i32.shl (local.get $rows) (i32.const 4))))))
        (local.set $xb (i32.add (local.get $x) (i32.shl (i32.mul (local.get $s) (local.get $xs)) (i32.const 2))))
        (local.set $row (i32.add (local.get $y) (i32.shl (i32.add
          (i32.mul (local.get $s) (local.get $ys)) (i32.mul (local.get $ob) (local.get $ldy))) (i32.const 2))))
        (if (i32.lt_u (local.get $mo) (i32.const 4))
          (then
            ;; 1 to 3 outputs left: one at a time, so no tile row is wasted (C_in = 1 or 3 in
            ;; the backward-input pass of a network's first layer)
            (local.set $j (i32.const 0))
            (loop $outputs
              (call $tapsRow (local.get $xb) (local.get $offs) (local.get $end)
                (i32.add (local.get $wb) (i32.shl (local.get $j) (i32.const 2)))
                (i32.add (local.get $row) (i32.mul (local.get $j) (local.get $ldyb)))
                (local.get $outRows) (local.get $outW) (i32.shl (local.get $ldx) (i32.const 2)))
              (br_if $outputs (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $mo)))))
          (else
            (call $tapsBlock (local.get $xb) (local.get $offs) (local.get $end) (local.get $wb)
              (local.get $row) (local.get $ldyb) (local.get $outRows) (local.get $outW)
              (i32.shl (local.get $ldx) (i32.const 2)))))
        (br_if $blocks (i32.lt_s (local.tee $ob (i32.add (local.get $ob) (i32.const 4))) (local.get $m))))
      (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples)))))

  ;; Horizontal sum of the four lanes of $v.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; The weight gradient of convTaps, ACCUMULATED: for o < m, r < rows,
  ;;   gw[o·ldw + r] += Σ_s Σ_{i < outRows, j < outW} gy[s, o, i·outW + j] · x[s, off_r + i·ldx + j]
  ;; with gy's plane o of sample s at gy + 4·(s·gs + o·ldg) (zero at the junk columns, so they add
  ;; nothing), x and $offs as in convTaps ($offs readable at index rows, rounded up to even), outW
  ;; a multiple of 4: outRows = 1 and outW = n flat outputs, or rows of the real output width
  ;; rounded up to 4 with ldx the padded row stride. A 4 × 2 tile of (o, r) keeps 8 lane-wise
  ;; sums over all samples in registers; gy is read 3 planes past o = m − 1 (those sums are
  ;; dropped), so that memory must exist.
  (func (export "convTapsWeight") (param $gy i32) (param $gs i32) (param $ldg i32) (param $m i32)
      (param $x i32) (param $xs i32) (param $samples i32) (param $offs i32) (param $rows i32)
      (param $outRows i32) (param $outW i32) (param $ldx i32) (param $gw i32) (param $ldw i32)
    (local $ob i32) (local $r i32) (local $s i32) (local $f i32) (local $nb i32) (local $ldgb i32)
    (local $i i32) (local $ldxb i32)
    (local $g0 i32) (local $x0 i32) (local $x1 i32) (local $o i32) (local $at i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $b0 v128) (local $b1 v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $nb (i32.shl (local.get $outW) (i32.const 2)))
    (local.set $ldxb (i32.shl (local.get $ldx) (i32.const 2)))
    (local.set $ldgb (i32.shl (local.get $ldg) (i32.const 2)))
    (local.set $ob (i32.const 0))
    (loop $blocks
      (local.set $r (i32.const 0))
      (loop $taps
        (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a01 (v128.const i32x4 0 0 0 0))
        (local.set $a10 (v128.const i32x4 0 0 0 0)) (local.set $a11 (v128.const i32x4 0 0 0 0))
        (local.set $a20 (v128.const i32x4 0 0 0 0)) (local.set $a21 (v128.const i32x4 0 0 0 0))
        (local.set $a30 (v128.const i32x4 0 0 0 0)) (local.set $a31 (v128.const i32x4 0 0 0 0))
        (local.set $s (i32.const 0))
        (loop $samples
          (local.set $g0 (i32.add (local.get $gy) (i32.shl (i32.add (i32.mul (local.get $s) (local.get $gs))
            (i32.mul (local.get $ob) (local.get $ldg))) (i32.const 2))))
          (local.set $x0 (i32.add (local.get $x) (i32.shl (i32.mul (local.get $s) (local.get $xs)) (i32.const 2))))
          (local.set $x1 (i32.add (local.get $x0) (i32.load offset=4
            (i32.add (local.get $offs) (i32.shl (local.get $r) (i32.const 2))))))
          (local.set $x0 (i32.add (local.get $x0) (i32.load
            (i32.add (local.get $offs) (i32.shl (local.get $r) (i32.const 2))))))
          (local.set $i (i32.const 0))
          (loop $outRows
            (local.set $f (i32.const 0))
            (loop $pixels
              (local.set $b0 (v128.load (i32.add (local.get $x0) (local.get $f))))
              (local.set $b1 (v128.load (i32.add (local.get $x1) (local.get $f))))
              (local.set $at (i32.add (local.get $g0) (local.get $f)))
              (local.set $v0 (v128.load (local.get $at)))
              (local.set $a00 (f32x4.relaxed_madd (local.get $v0) (local.get $b0) (local.get $a00)))
              (local.set $a01 (f32x4.relaxed_madd (local.get $v0) (local.get $b1) (local.get $a01)))
              (local.set $at (i32.add (local.get $at) (local.get $ldgb)))
              (local.set $v1 (v128.load (local.get $at)))
              (local.set $a10 (f32x4.relaxed_madd (local.get $v1) (local.get $b0) (local.get $a10)))
              (local.set $a11 (f32x4.relaxed_madd (local.get $v1) (local.get $b1) (local.get $a11)))
              (local.set $at (i32.add (local.get $at) (local.get $ldgb)))
              (local.set $v2 (v128.load (local.get $at)))
              (local.set $a20 (f32x4.relaxed_madd (local.get $v2) (local.get $b0) (local.get $a20)))
              (local.set $a21 (f32x4.relaxed_madd (local.get $v2) (local.get $b1) (local.get $a21)))
              (local.set $at (i32.add (local.get $at) (local.get $ldgb)))
              (local.set $v3 (v128.load (local.get $at)))
              (local.set $a30 (f32x4.relaxed_madd (local.get $v3) (local.get $b0) (local.get $a30)))
              (local.set $a31 (f32x4.relaxed_madd (local.get $v3) (local.get $b1) (local.get $a31)))
              (br_if $pixels (i32.lt_u (local.tee $f (i32.add (local.get $f) (i32.const 16))) (local.get $nb))))
          (local.set $g0 (i32.add (local.get $g0) (local.get $nb)))
          (local.set $x0 (i32.add (local.get $x0) (local.get $ldxb)))
          (local.set $x1 (i32.add (local.get $x1) (local.get $ldxb)))
          (br_if $outRows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $outRows))))
          (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples))))
        ;; the 4 × 2 sums, row-major, through the scratch at byte 0; only o < m, r < rows are kept
        (f32.store offset=0 (i32.const 0) (call $hsum (local.get $a00)))
        (f32.store offset=4 (i32.const 0) (call $hsum (local.get $a01)))
        (f32.store offset=8 (i32.const 0) (call $hsum (local.get $a10)))
        (f32.store offset=12 (i32.const 0) (call $hsum (local.get $a11)))
        (f32.store offset=16 (i32.const 0) (call $hsum (local.get $a20)))
        (f32.store offset=20 (i32.const 0) (call $hsum (local.get $a21)))
        (f32.store offset=24 (i32.const 0) (call $hsum (local.get $a30)))
        (f32.store offset=28 (i32.const 0) (call $hsum (local.get $a31)))
        (local.set $o (i32.const 0))
        (block $stored
          (loop $store
            (br_if $stored (i32.ge_s (i32.add (local.get $ob) (local.get $o)) (local.get $m)))
            (br_if $stored (i32.ge_u (local.get $o) (i32.const 4)))
            (local.set $at (i32.add (local.get $gw) (i32.shl (i32.add
              (i32.mul (i32.add (local.get $ob) (local.get $o)) (local.get $ldw)) (local.get $r)) (i32.const 2))))
            (f32.store (local.get $at) (f32.add (f32.load (local.get $at))
              (f32.load (i32.shl (local.get $o) (i32.const 3)))))
            (if (i32.lt_s (i32.add (local.get $r) (i32.const 1)) (local.get $rows)) (then
              (f32.store offset=4 (local.get $at) (f32.add (f32.load offset=4 (local.get $at))
                (f32.load offset=4 (i32.shl (local.get $o) (i32.const 3)))))))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $store)))
        (br_if $taps (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 2))) (local.get $rows))))
      (br_if $blocks (i32.lt_s (local.tee $ob (i32.add (local.get $ob) (i32.const 4))) (local.get $m)))))

  ;; dst[o] += Σ_s Σ_{f < n} src[s·ss + o·ld + f] for o < planes, all counts in floats, n a
  ;; multiple of 4: the bias gradient, summed over samples from convTapsWeight's gy planes.
  (func (export "planeSums") (param $src i32) (param $ss i32) (param $samples i32) (param $planes i32)
      (param $ld i32) (param $n i32) (param $dst i32)
    (local $o i32) (local $s i32) (local $p i32) (local $end i32) (local $acc v128)
    (local.set $o (i32.const 0))
    (loop $planes
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $s (i32.const 0))
      (loop $samples
        (local.set $p (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $s) (local.get $ss))
          (i32.mul (local.get $o) (local.get $ld))) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
        (loop $sum
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
          (br_if $sum (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
        (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples))))
      (local.set $p (i32.add (local.get $dst) (i32.shl (local.get $o) (i32.const 2))))
      (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (call $hsum (local.get $acc))))
      (br_if $planes (i32.lt_s (local.tee $o (i32.add (local.get $o) (i32.const 1))) (local.get $planes)))))

  ;; Winograd F(2×2, 3×3) (Lavin & Gray 2015) for _conv2d_winograd.ts: a 2×2 output tile of a
  ;; 3×3 stride-1 convolution is Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over the 4×4 input tile d it reads, with
  ;;   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
  ;;   Aᵀ = [1 1 1 0; 0 1 −1 −1],
  ;; so summed over input channels the 16 products ξ = 4·i + j of the tile are 16 independent GEMMs
  ;; M[ξ] = U[ξ]·V[ξ] ([C_out, C_in]·[C_in, tiles]) between these two transforms (U = G g Gᵀ is
  ;; computed in TypeScript). Both handle 4 horizontally adjacent tiles per f32x4, one per lane.

  ;; V[ξ, c, s·tilesH·tilesW + ty·tilesW + tx] = (Bᵀ d B)[ξ] of the tile whose input d is rows
  ;; 2·ty … 2·ty + 3, columns 2·tx … 2·tx + 3 of plane s·channels + c at x + 4·(s·channels + c)·plane
  ;; (row stride $row floats), for s < samples, c < channels, ty < tilesH, tx < tilesW (a multiple
  ;; of 4). V[ξ] is [channels, ldv] at v + 4·ξ·channels·ldv. Each row is read 2·tilesW + 2 floats
  ;; wide, so the planes must be at least that wide and 2·tilesH + 2 rows tall.
  (func (export "winogradInput") (param $x i32) (param $samples i32) (param $channels i32)
      (param $plane i32) (param $row i32) (param $tilesH i32) (param $tilesW i32) (param $v i32)
      (param $ldv i32) (param $vs i32)
    (local $s i32) (local $c i32) (local $ty i32) (local $tx i32) (local $src i32) (local $t i32)
    (local $p i32) (local $q i32) (local $dst i32) (local $rowB i32) (local $xiB i32)
    (local $a v128) (local $b v128) (local $e v128) (local $f v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $r00 v128) (local $r01 v128) (local $r02 v128) (local $r03 v128) (local $r10 v128) (local $r11 v128) (local $r12 v128) (local $r13 v128)
    (local $r20 v128) (local $r21 v128) (local $r22 v128) (local $r23 v128) (local $r30 v128) (local $r31 v128) (local $r32 v128) (local $r33 v128)
    (local.set $rowB (i32.shl (local.get $row) (i32.const 2)))
    (local.set $xiB (i32.shl (local.get $vs) (i32.const 2)))
    (local.set $s (i32.const 0))
    (loop $samples
      (local.set $c (i32.const 0))
      (loop $planes
        (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (local.get $plane)
          (i32.add (i32.mul (local.get $s) (local.get $channels)) (local.get $c))) (i32.const 2))))
        (local.set $dst (i32.add (local.get $v) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $ldv))
          (i32.mul (local.get $s) (i32.mul (local.get $tilesH) (local.get $tilesW)))) (i32.const 2))))
        (local.set $ty (i32.const 0))
        (loop $tileRows
          (local.set $t (local.get $src))
          (local.set $tx (i32.const 0))
          (loop $tiles
          ;; row r of the 4 tiles' d times B: columns 0, 1 are the even, odd floats of the 8 at t,
          ;; columns 2, 3 those of the 8 two floats on
          (local.set $p (local.get $t))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $e (v128.load offset=8 (local.get $p)))
          (local.set $f (v128.load offset=24 (local.get $p)))
          (local.set $c0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $c1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $c2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $e) (local.get $f)))
          (local.set $c3 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $e) (local.get $f)))
          (local.set $r00 (f32x4.sub (local.get $c0) (local.get $c2)))
          (local.set $r01 (f32x4.add (local.get $c1) (local.get $c2)))
          (local.set $r02 (f32x4.sub (local.get $c2) (local.get $c1)))
          (local.set $r03 (f32x4.sub (local.get $c1) (local.get $c3)))
          (local.set $p (i32.add (local.get $p) (local.get $rowB)))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $e (v128.load offset=8 (local.get $p)))
          (local.set $f (v128.load offset=24 (local.get $p)))
          (local.set $c0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $c1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $c2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $e) (local.get $f)))
          (local.set $c3 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $e) (local.get $f)))
          (local.set $r10 (f32x4.sub (local.get $c0) (local.get $c2)))
          (local.set $r11 (f32x4.add (local.get $c1) (local.get $c2)))
          (local.set $r12 (f32x4.sub (local.get $c2) (local.get $c1)))
          (local.set $r13 (f32x4.sub (local.get $c1) (local.get $c3)))
          (local.set $p (i32.add (local.get $p) (local.get $rowB)))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $e (v128.load offset=8 (local.get $p)))
          (local.set $f (v128.load offset=24 (local.get $p)))
          (local.set $c0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $c1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $c2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $e) (local.get $f)))
          (local.set $c3 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $e) (local.get $f)))
          (local.set $r20 (f32x4.sub (local.get $c0) (local.get $c2)))
          (local.set $r21 (f32x4.add (local.get $c1) (local.get $c2)))
          (local.set $r22 (f32x4.sub (local.get $c2) (local.get $c1)))
          (local.set $r23 (f32x4.sub (local.get $c1) (local.get $c3)))
          (local.set $p (i32.add (local.get $p) (local.get $rowB)))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $e (v128.load offset=8 (local.get $p)))
          (local.set $f (v128.load offset=24 (local.get $p)))
          (local.set $c0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $c1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $c2 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $e) (local.get $f)))
          (local.set $c3 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $e) (local.get $f)))
          (local.set $r30 (f32x4.sub (local.get $c0) (local.get $c2)))
          (local.set $r31 (f32x4.add (local.get $c1) (local.get $c2)))
          (local.set $r32 (f32x4.sub (local.get $c2) (local.get $c1)))
          (local.set $r33 (f32x4.sub (local.get $c1) (local.get $c3)))
          ;; Bᵀ times those rows: product ξ = 4·i + j to V[ξ], ξ·channels·ldv floats apart
          (local.set $q (local.get $dst))
          (v128.store (local.get $q) (f32x4.sub (local.get $r00) (local.get $r20)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r01) (local.get $r21)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r02) (local.get $r22)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r03) (local.get $r23)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r10) (local.get $r20)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r11) (local.get $r21)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r12) (local.get $r22)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r13) (local.get $r23)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r20) (local.get $r10)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r21) (local.get $r11)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r22) (local.get $r12)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r23) (local.get $r13)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r10) (local.get $r30)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r11) (local.get $r31)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r12) (local.get $r32)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r13) (local.get $r33)))
          (local.set $t (i32.add (local.get $t) (i32.const 32)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (br_if $tiles (i32.lt_s (local.tee $tx (i32.add (local.get $tx) (i32.const 4))) (local.get $tilesW))))
          (local.set $src (i32.add (local.get $src) (i32.shl (local.get $rowB) (i32.const 1))))
          (br_if $tileRows (i32.lt_s (local.tee $ty (i32.add (local.get $ty) (i32.const 1))) (local.get $tilesH))))
        (br_if $planes (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $channels))))
      (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples)))))

  ;; The 2×2 outputs bias[k] + Aᵀ m A of the tiles of winogradInput's layout, m[ξ] = M[ξ, k, tile]
  ;; with M[ξ] [channels, ldm] at m + 4·ξ·channels·ldm: tile (s, ty, tx) of output channel k goes
  ;; to rows 2·ty, 2·ty + 1, columns 2·tx, 2·tx + 1 of plane s·channels + k at y + 4·(s·channels
  ;; + k)·plane (row stride $row floats; planes at least 2·tilesH rows of 2·tilesW floats).
  (func (export "winogradOutput") (param $m i32) (param $samples i32) (param $channels i32)
      (param $tilesH i32) (param $tilesW i32) (param $ldm i32) (param $ms i32) (param $bias i32)
      (param $y i32) (param $plane i32) (param $row i32)
    (local $s i32) (local $k i32) (local $ty i32) (local $tx i32) (local $src i32) (local $q i32)
    (local $dst i32) (local $d i32) (local $rowB i32) (local $xiB i32) (local $bv v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $t00 v128) (local $t01 v128) (local $t02 v128) (local $t03 v128) (local $t10 v128) (local $t11 v128) (local $t12 v128) (local $t13 v128)
    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)
    (local.set $rowB (i32.shl (local.get $row) (i32.const 2)))
    (local.set $xiB (i32.shl (local.get $ms) (i32.const 2)))
    (local.set $s (i32.const 0))
    (loop $samples
      (local.set $k (i32.const 0))
      (loop $planes
        (local.set $bv (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $src (i32.add (local.get $m) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $ldm))
          (i32.mul (local.get $s) (i32.mul (local.get $tilesH) (local.get $tilesW)))) (i32.const 2))))
        (local.set $dst (i32.add (local.get $y) (i32.shl (i32.mul (local.get $plane)
          (i32.add (i32.mul (local.get $s) (local.get $channels)) (local.get $k))) (i32.const 2))))
        (local.set $ty (i32.const 0))
        (loop $tileRows
          (local.set $d (local.get $dst))
          (local.set $tx (i32.const 0))
          (loop $tiles
          ;; Aᵀ times the 4 rows of m (row i is products 4·i … 4·i + 3), then times A
          (local.set $q (local.get $src))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m1 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m2 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m3 (v128.load (local.get $q)))
          (local.set $t00 (local.get $m0))
          (local.set $t01 (local.get $m1))
          (local.set $t02 (local.get $m2))
          (local.set $t03 (local.get $m3))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m1 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m2 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m3 (v128.load (local.get $q)))
          (local.set $t00 (f32x4.add (local.get $t00) (local.get $m0)))
          (local.set $t10 (local.get $m0))
          (local.set $t01 (f32x4.add (local.get $t01) (local.get $m1)))
          (local.set $t11 (local.get $m1))
          (local.set $t02 (f32x4.add (local.get $t02) (local.get $m2)))
          (local.set $t12 (local.get $m2))
          (local.set $t03 (f32x4.add (local.get $t03) (local.get $m3)))
          (local.set $t13 (local.get $m3))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m1 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m2 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m3 (v128.load (local.get $q)))
          (local.set $t00 (f32x4.add (local.get $t00) (local.get $m0)))
          (local.set $t10 (f32x4.sub (local.get $t10) (local.get $m0)))
          (local.set $t01 (f32x4.add (local.get $t01) (local.get $m1)))
          (local.set $t11 (f32x4.sub (local.get $t11) (local.get $m1)))
          (local.set $t02 (f32x4.add (local.get $t02) (local.get $m2)))
          (local.set $t12 (f32x4.sub (local.get $t12) (local.get $m2)))
          (local.set $t03 (f32x4.add (local.get $t03) (local.get $m3)))
          (local.set $t13 (f32x4.sub (local.get $t13) (local.get $m3)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m0 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m1 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m2 (v128.load (local.get $q)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (local.set $m3 (v128.load (local.get $q)))
          (local.set $t10 (f32x4.sub (local.get $t10) (local.get $m0)))
          (local.set $t11 (f32x4.sub (local.get $t11) (local.get $m1)))
          (local.set $t12 (f32x4.sub (local.get $t12) (local.get $m2)))
          (local.set $t13 (f32x4.sub (local.get $t13) (local.get $m3)))
          (local.set $y00 (f32x4.add (f32x4.add (f32x4.add (local.get $t00) (local.get $t01)) (local.get $t02)) (local.get $bv)))
          (local.set $y01 (f32x4.add (f32x4.sub (f32x4.sub (local.get $t01) (local.get $t02)) (local.get $t03)) (local.get $bv)))
          (local.set $y10 (f32x4.add (f32x4.add (f32x4.add (local.get $t10) (local.get $t11)) (local.get $t12)) (local.get $bv)))
          (local.set $y11 (f32x4.add (f32x4.sub (f32x4.sub (local.get $t11) (local.get $t12)) (local.get $t13)) (local.get $bv)))
          ;; lanes are tiles: interleave each tile's two columns into the output rows
          (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y00) (local.get $y01)))
          (v128.store offset=16 (local.get $d) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y00) (local.get $y01)))
          (local.set $q (i32.add (local.get $d) (local.get $rowB)))
          (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y10) (local.get $y11)))
          (v128.store offset=16 (local.get $q) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y10) (local.get $y11)))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 32)))
          (br_if $tiles (i32.lt_s (local.tee $tx (i32.add (local.get $tx) (i32.const 4))) (local.get $tilesW))))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $rowB) (i32.const 1))))
          (br_if $tileRows (i32.lt_s (local.tee $ty (i32.add (local.get $ty) (i32.const 1))) (local.get $tilesH))))
        (br_if $planes (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $channels))))
      (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples)))))

  ;; The adjoint of winogradOutput for the weight gradient: dM[ξ, k, s·tilesH·tilesW + ty·tilesW
  ;; + tx] = (A dY Aᵀ)[ξ] of the 2×2 tile dY at rows 2·ty, 2·ty + 1, columns 2·tx, 2·tx + 1 of plane
  ;; s·channels + k at gy + 4·(s·channels + k)·plane (row stride $row floats; planes at least
  ;; 2·tilesH rows of 2·tilesW floats, zero past the output edge so overhanging tiles read zeros),
  ;; with A = (Aᵀ)ᵀ = [1 0; 1 1; 1 −1; 0 −1]. dM[ξ] is [channels, ldm] at dm + 4·ξ·ms, as
  ;; winogradInput lays out V, so dU[ξ] = dM[ξ]·V[ξ]ᵀ is one gemm per ξ.
  (func (export "winogradOutputGrad") (param $gy i32) (param $samples i32) (param $channels i32)
      (param $plane i32) (param $row i32) (param $tilesH i32) (param $tilesW i32) (param $dm i32)
      (param $ldm i32) (param $ms i32)
    (local $s i32) (local $k i32) (local $ty i32) (local $tx i32) (local $src i32) (local $t i32)
    (local $p i32) (local $q i32) (local $dst i32) (local $rowB i32) (local $xiB i32)
    (local $a v128) (local $b v128) (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)
    (local $r0 v128) (local $r1 v128)
    (local.set $rowB (i32.shl (local.get $row) (i32.const 2)))
    (local.set $xiB (i32.shl (local.get $ms) (i32.const 2)))
    (local.set $s (i32.const 0))
    (loop $samples
      (local.set $k (i32.const 0))
      (loop $planes
        (local.set $src (i32.add (local.get $gy) (i32.shl (i32.mul (local.get $plane)
          (i32.add (i32.mul (local.get $s) (local.get $channels)) (local.get $k))) (i32.const 2))))
        (local.set $dst (i32.add (local.get $dm) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $ldm))
          (i32.mul (local.get $s) (i32.mul (local.get $tilesH) (local.get $tilesW)))) (i32.const 2))))
        (local.set $ty (i32.const 0))
        (loop $tileRows
          (local.set $t (local.get $src))
          (local.set $tx (i32.const 0))
          (loop $tiles
          ;; lanes are tiles: the even and odd floats of the 8 at t (and a row on) are columns 0, 1
          (local.set $p (local.get $t))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $y00 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $y01 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          (local.set $p (i32.add (local.get $p) (local.get $rowB)))
          (local.set $a (v128.load (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $y10 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
          (local.set $y11 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
          ;; row i of A·dY is (r0, r1); times Aᵀ, products 4·i … 4·i + 3: r0, r0 + r1, r0 − r1, −r1
          (local.set $q (local.get $dst))
          (local.set $r0 (local.get $y00))
          (local.set $r1 (local.get $y01))
          (v128.store (local.get $q) (local.get $r0))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.neg (local.get $r1)))
          (local.set $r0 (f32x4.add (local.get $y00) (local.get $y10)))
          (local.set $r1 (f32x4.add (local.get $y01) (local.get $y11)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (local.get $r0))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.neg (local.get $r1)))
          (local.set $r0 (f32x4.sub (local.get $y00) (local.get $y10)))
          (local.set $r1 (f32x4.sub (local.get $y01) (local.get $y11)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (local.get $r0))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.neg (local.get $r1)))
          (local.set $r0 (f32x4.neg (local.get $y10)))
          (local.set $r1 (f32x4.neg (local.get $y11)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (local.get $r0))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.add (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.sub (local.get $r0) (local.get $r1)))
          (local.set $q (i32.add (local.get $q) (local.get $xiB)))
          (v128.store (local.get $q) (f32x4.neg (local.get $r1)))
          (local.set $t (i32.add (local.get $t) (i32.const 32)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (br_if $tiles (i32.lt_s (local.tee $tx (i32.add (local.get $tx) (i32.const 4))) (local.get $tilesW))))
          (local.set $src (i32.add (local.get $src) (i32.shl (local.get $rowB) (i32.const 1))))
          (br_if $tileRows (i32.lt_s (local.tee $ty (i32.add (local.get $ty) (i32.const 1))) (local.get $tilesH))))
        (br_if $planes (i32.lt_s (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $channels))))
      (br_if $samples (i32.lt_s (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $samples)))))

  ;; Max pooling of outputs j ∈ [j0, j1) of output row i of one [h, w] plane at $x, exactly as
  ;; maxPool2dForward in pool2d.ts: y = the window's max (a NaN wins, the first of equal maxima
  ;; wins), arg = its flat index h·W + w in the plane; a window with no input cell gives −∞ and −1.
  ;; $y and $arg point at output j = 0 of the row.
  (func $maxPoolRow (param $x i32) (param $h i32) (param $w i32) (param $kh i32) (param $kw i32)
      (param $sh i32) (param $sw i32) (param $ph i32) (param $pw i32) (param $dh i32) (param $dw i32)
      (param $i i32) (param $j0 i32) (param $j1 i32) (param $y i32) (param $arg i32)
    (local $h0 i32) (local $h1 i32) (local $w0 i32) (local $w1 i32) (local $j i32) (local $ih i32)
    (local $iw i32) (local $index i32) (local $best f32) (local $v f32)
    (local.set $h0 (i32.sub (i32.mul (local.get $i) (local.get $sh)) (local.get $ph)))
    (local.set $h1 (call $min (local.get $h) (i32.add (i32.add (local.get $h0)
      (i32.mul (i32.sub (local.get $kh) (i32.const 1)) (local.get $dh))) (i32.const 1))))
    (block $done (loop $up
      (br_if $done (i32.ge_s (local.get $h0) (i32.const 0)))
      (local.set $h0 (i32.add (local.get $h0) (local.get $dh)))
      (br $up)))
    (local.set $j (local.get $j0))
    (block $rowDone
      (loop $cols
        (br_if $rowDone (i32.ge_s (local.get $j) (local.get $j1)))
        (local.set $w0 (i32.sub (i32.mul (local.get $j) (local.get $sw)) (local.get $pw)))
        (local.set $w1 (call $min (local.get $w) (i32.add (i32.add (local.get $w0)
          (i32.mul (i32.sub (local.get $kw) (i32.const 1)) (local.get $dw))) (i32.const 1))))
        (block $done (loop $up
          (br_if $done (i32.ge_s (local.get $w0) (i32.const 0)))
          (local.set $w0 (i32.add (local.get $w0) (local.get $dw)))
          (br $up)))
        (local.set $best (f32.const -inf))
        (local.set $index (select
          (i32.add (i32.mul (local.get $h0) (local.get $w)) (local.get $w0))
          (i32.const -1)
          (i32.and (i32.lt_s (local.get $h0) (local.get $h1)) (i32.lt_s (local.get $w0) (local.get $w1)))))
        (local.set $ih (local.get $h0))
        (block $hDone
          (loop $hLoop
            (br_if $hDone (i32.ge_s (local.get $ih) (local.get $h1)))
            (local.set $iw (local.get $w0))
            (block $wDone
              (loop $wLoop
                (br_if $wDone (i32.ge_s (local.get $iw) (local.get $w1)))
                (local.set $v (f32.load (i32.add (local.get $x) (i32.shl
                  (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)) (i32.const 2)))))
                (if (i32.or (f32.gt (local.get $v) (local.get $best)) (f32.ne (local.get $v) (local.get $v)))
                  (then
                    (local.set $best (local.get $v))
                    (local.set $index (i32.add (i32.mul (local.get $ih) (local.get $w)) (local.get $iw)))))
                (local.set $iw (i32.add (local.get $iw) (local.get $dw)))
                (br $wLoop)))
            (local.set $ih (i32.add (local.get $ih) (local.get $dh)))
            (br $hLoop)))
        (f32.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))) (local.get $best))
        (i32.store (i32.add (local.get $arg) (i32.shl (local.get $j) (i32.const 2))) (local.get $index))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols))))

  ;; $maxPoolRow for the common 2×2 window, stride 2, no padding or dilation, four outputs
  ;; j ∈ [0, jv) at a time (jv a multiple of 4, every window inside the plane): the two input
  ;; rows are split into even and odd columns and the four candidates are taken in the scalar
  ;; order (top-left, top-right, bottom-left, bottom-right) with the same "> or NaN" rule.
  (func $maxPool2x2Row (param $x i32) (param $w i32) (param $i i32) (param $jv i32) (param $y i32)
      (param $arg i32)
    (local $r0 i32) (local $r1 i32) (local $j i32) (local $a v128) (local $b v128)
    (local $e0 v128) (local $o0 v128) (local $e1 v128) (local $o1 v128) (local $best v128)
    (local $idx v128) (local $iv v128) (local $m v128) (local $wv v128)
    (local.set $r0 (i32.add (local.get $x) (i32.shl (i32.mul (i32.shl (local.get $i) (i32.const 1))
      (local.get $w)) (i32.const 2))))
    (local.set $r1 (i32.add (local.get $r0) (i32.shl (local.get $w) (i32.const 2))))
    (local.set $iv (i32x4.add (i32x4.splat (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $w)))
      (v128.const i32x4 0 2 4 6)))
    (local.set $wv (i32x4.splat (local.get $w)))
    (local.set $j (i32.const 0))
    (block $done
      (loop $quads
        (br_if $done (i32.ge_s (local.get $j) (local.get $jv)))
        (local.set $a (v128.load (local.get $r0)))
        (local.set $b (v128.load offset=16 (local.get $r0)))
        (local.set $e0 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
        (local.set $o0 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $a (v128.load (local.get $r1)))
        (local.set $b (v128.load offset=16 (local.get $r1)))
        (local.set $e1 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
        (local.set $o1 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $best (local.get $e0))
        (local.set $idx (local.get $iv))
        (local.set $m (v128.or (f32x4.gt (local.get $o0) (local.get $best)) (f32x4.ne (local.get $o0) (local.get $o0))))
        (local.set $best (v128.bitselect (local.get $o0) (local.get $best) (local.get $m)))
        (local.set $idx (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 1 1 1 1)) (local.get $idx) (local.get $m)))
        (local.set $m (v128.or (f32x4.gt (local.get $e1) (local.get $best)) (f32x4.ne (local.get $e1) (local.get $e1))))
        (local.set $best (v128.bitselect (local.get $e1) (local.get $best) (local.get $m)))
        (local.set $idx (v128.bitselect (i32x4.add (local.get $iv) (local.get $wv)) (local.get $idx) (local.get $m)))
        (local.set $m (v128.or (f32x4.gt (local.get $o1) (local.get $best)) (f32x4.ne (local.get $o1) (local.get $o1))))
        (local.set $best (v128.bitselect (local.get $o1) (local.get $best) (local.get $m)))
        (local.set $idx (v128.bitselect (i32x4.add (i32x4.add (local.get $iv) (local.get $wv)) (v128.const i32x4 1 1 1 1))
          (local.get $idx) (local.get $m)))
        (v128.store (i32.add (local.get $y) (i32.shl (local.get $j) (i32.const 2))) (local.get $best))
        (v128.store (i32.add (local.get $arg) (i32.shl (local.get $j) (i32.const 2))) (local.get $idx))
        (local.set $r0 (i32.add (local.get $r0) (i32.const 32)))
        (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
        (local.set $iv (i32x4.add (local.get $iv) (v128.const i32x4 8 8 8 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $quads))))

  ;; maxPool2dForward of pool2d.ts over $planes consecutive [h, w] planes at $x: y (f32) and arg
  ;; (i32), both [planes, hOut, wOut], at $y and $arg.
  (func (export "maxPool") (param $x i32) (param $planes i32) (param $h i32) (param $w i32)
      (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $ph i32) (param $pw i32)
      (param $dh i32) (param $dw i32) (param $hOut i32) (param $wOut i32) (param $y i32) (param $arg i32)
    (local $pl i32) (local $i i32) (local $jv i32) (local $fast i32) (local $row i32) (local $rowBytes i32)
    (local.set $fast (i32.and (i32.and
      (i32.and (i32.eq (local.get $kh) (i32.const 2)) (i32.eq (local.get $kw) (i32.const 2)))
      (i32.and (i32.eq (local.get $sh) (i32.const 2)) (i32.eq (local.get $sw) (i32.const 2))))
      (i32.and (i32.eqz (i32.or (local.get $ph) (local.get $pw)))
        (i32.and (i32.eq (local.get $dh) (i32.const 1)) (i32.eq (local.get $dw) (i32.const 1))))))
    (local.set $jv (select
      (i32.and (call $min (local.get $wOut) (i32.shr_u (local.get $w) (i32.const 1))) (i32.const -4))
      (i32.const 0)
      (local.get $fast)))
    (local.set $rowBytes (i32.shl (local.get $wOut) (i32.const 2)))
    (local.set $row (i32.const 0))
    (local.set $pl (i32.const 0))
    (loop $planes
      (local.set $i (i32.const 0))
      (loop $rows
        (if (i32.and (local.get $fast)
            (i32.lt_s (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (local.get $h)))
          (then
            (call $maxPool2x2Row (local.get $x) (local.get $w) (local.get $i) (local.get $jv)
              (i32.add (local.get $y) (local.get $row)) (i32.add (local.get $arg) (local.get $row)))
            (call $maxPoolRow (local.get $x) (local.get $h) (local.get $w) (local.get $kh) (local.get $kw)
              (local.get $sh) (local.get $sw) (local.get $ph) (local.get $pw) (local.get $dh) (local.get $dw)
              (local.get $i) (local.get $jv) (local.get $wOut)
              (i32.add (local.get $y) (local.get $row)) (i32.add (local.get $arg) (local.get $row))))
          (else
            (call $maxPoolRow (local.get $x) (local.get $h) (local.get $w) (local.get $kh) (local.get $kw)
              (local.get $sh) (local.get $sw) (local.get $ph) (local.get $pw) (local.get $dh) (local.get $dw)
              (local.get $i) (i32.const 0) (local.get $wOut)
              (i32.add (local.get $y) (local.get $row)) (i32.add (local.get $arg) (local.get $row)))))
        (local.set $row (i32.add (local.get $row) (local.get $rowBytes)))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $hOut))))
      (local.set $x (i32.add (local.get $x) (i32.shl (i32.mul (local.get $h) (local.get $w)) (i32.const 2))))
      (br_if $planes (i32.lt_s (local.tee $pl (i32.add (local.get $pl) (i32.const 1))) (local.get $planes)))))
  ;; Piecewise polynomial of _erf.ts's eighthsPolynomial on pairs of float32s, in f64x2 with the
  ;; JavaScript expression's exact order of operations (so every in-range result is bit-for-bit the
  ;; scalar one): for each of $pairs pairs at $x (and $g unless 0) writes the float32
  ;;   y = [g·] [x·] P_k(s),  u = x + 6.0625, k = floor(8u), s = 16u - 2k - 1,
  ;; with P_k's 11 float64 coefficients at $table + 88k (lowest power first), evaluated by Estrin's
  ;; scheme. Returns how many inputs were outside (-6.0625, 5.9375) or NaN: those lanes are
  ;; evaluated at 0 and their outputs are wrong, for the caller to recompute.
  (func (export "eighths") (param $x i32) (param $g i32) (param $y i32) (param $pairs i32)
      (param $table i32) (param $mulX i32) (result i32)
    (local $end i32) (local $bad i32) (local $o0 i32) (local $o1 i32) (local $k v128)
    (local $v v128) (local $in v128) (local $u v128) (local $s v128) (local $s2 v128) (local $s4 v128)
    (local $p v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $pairs) (i32.const 3))))
    (if (i32.eqz (local.get $pairs)) (then (return (i32.const 0))))
    (loop $pair
      (local.set $v (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))))
      (local.set $in (v128.and
        (f64x2.gt (local.get $v) (f64x2.splat (f64.const -6.0625)))
        (f64x2.lt (local.get $v) (f64x2.splat (f64.const 5.9375)))))
      (if (i32.eqz (i64x2.all_true (local.get $in)))
        (then
          (local.set $bad (i32.add (local.get $bad)
            (i32.popcnt (i8x16.bitmask (i64x2.eq (local.get $in) (v128.const i64x2 0 0))))))))
      (local.set $u (f64x2.add
        (v128.and (local.get $v) (local.get $in)) (f64x2.splat (f64.const 6.0625))))
      (local.set $k (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (local.get $u) (f64x2.splat (f64.const 8)))))
      (local.set $s (f64x2.sub
        (f64x2.sub (f64x2.mul (local.get $u) (f64x2.splat (f64.const 16)))
          (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $k)) (f64x2.splat (f64.const 2))))
        (f64x2.splat (f64.const 1))))
      (local.set $o0 (i32.add (local.get $table) (i32.mul (i32x4.extract_lane 0 (local.get $k)) (i32.const 88))))
      (local.set $o1 (i32.add (local.get $table) (i32.mul (i32x4.extract_lane 1 (local.get $k)) (i32.const 88))))
      (local.set $s2 (f64x2.mul (local.get $s) (local.get $s)))
      (local.set $s4 (f64x2.mul (local.get $s2) (local.get $s2)))
      ;; (((c0 + c1·s) + (c2 + c3·s)·s2) + ((c4 + c5·s) + (c6 + c7·s)·s2)·s4) + ((c8 + c9·s) + c10·s2)·(s4·s4)
      (local.set $p (f64x2.add
        (f64x2.add
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=0 1 (local.get $o1) (v128.load64_zero offset=0 (local.get $o0))) (f64x2.mul (v128.load64_lane offset=8 1 (local.get $o1) (v128.load64_zero offset=8 (local.get $o0))) (local.get $s)))
            (f64x2.mul (f64x2.add (v128.load64_lane offset=16 1 (local.get $o1) (v128.load64_zero offset=16 (local.get $o0))) (f64x2.mul (v128.load64_lane offset=24 1 (local.get $o1) (v128.load64_zero offset=24 (local.get $o0))) (local.get $s))) (local.get $s2)))
          (f64x2.mul
            (f64x2.add
              (f64x2.add (v128.load64_lane offset=32 1 (local.get $o1) (v128.load64_zero offset=32 (local.get $o0))) (f64x2.mul (v128.load64_lane offset=40 1 (local.get $o1) (v128.load64_zero offset=40 (local.get $o0))) (local.get $s)))
              (f64x2.mul (f64x2.add (v128.load64_lane offset=48 1 (local.get $o1) (v128.load64_zero offset=48 (local.get $o0))) (f64x2.mul (v128.load64_lane offset=56 1 (local.get $o1) (v128.load64_zero offset=56 (local.get $o0))) (local.get $s))) (local.get $s2)))
            (local.get $s4)))
        (f64x2.mul
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=64 1 (local.get $o1) (v128.load64_zero offset=64 (local.get $o0))) (f64x2.mul (v128.load64_lane offset=72 1 (local.get $o1) (v128.load64_zero offset=72 (local.get $o0))) (local.get $s)))
            (f64x2.mul (v128.load64_lane offset=80 1 (local.get $o1) (v128.load64_zero offset=80 (local.get $o0))) (local.get $s2)))
          (f64x2.mul (local.get $s4) (local.get $s4)))))
      (if (local.get $mulX) (then (local.set $p (f64x2.mul (local.get $v) (local.get $p)))))
      (if (local.get $g)
        (then
          (local.set $p (f64x2.mul
            (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))) (local.get $p)))
          (local.set $g (i32.add (local.get $g) (i32.const 8)))))
      (v128.store64_lane 0 (local.get $y) (f32x4.demote_f64x2_zero (local.get $p)))
      (local.set $y (i32.add (local.get $y) (i32.const 8)))
      (br_if $pair (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 8))) (local.get $end))))
    (local.get $bad))
  ;; sgd: sgdKernel of optimizer.ts on $quads groups of four floats in float32, as PyTorch:
  ;; (fma by relaxed_madd where $fused, else by $fmaRound, bit for bit the same)
  ;; d = sign*grad; d = fma(wd, p, d) if wd != 0; $mode 1 (first step): b = d; $mode 2:
  ;; b = f32(mu*b) + d, or fma(keep, d, f32(mu*b)) if keep != 1; with a buffer d = nesterov ?
  ;; fma(mu, b, d) : b; then p = fma(step, d, p) (step = -lr). fma is $fmaRound: one rounding.
  (func (export "sgd") (param $p i32) (param $g i32) (param $b i32) (param $quads i32)
      (param $step f32) (param $mu f32) (param $keep f32) (param $wd f32) (param $sign f32)
      (param $mode i32) (param $nesterov i32) (param $fused i32)
    (local $end i32) (local $pv v128) (local $d v128) (local $bv v128)
    (local $vStep v128) (local $vMu v128) (local $vKeep v128) (local $vWd v128) (local $vSign v128)
    (local $hasWd i32) (local $damped i32) (local $lo v128) (local $hi v128)
    (local $vStepLo v128) (local $low29 v128) (local $halfway v128) (local $magnitude v128)
    (local $smallest v128) (local $out v128) (local $vWdLo v128)
    (if (i32.eqz (local.get $quads)) (then (return)))
    (local.set $vStepLo (f64x2.splat (f64.promote_f32 (local.get $step))))
    (local.set $vWdLo (f64x2.splat (f64.promote_f32 (local.get $wd))))
    (local.set $low29 (i64x2.splat (i64.const 0x1fffffff)))
    (local.set $halfway (i64x2.splat (i64.const 0x10000000)))
    (local.set $magnitude (i32x4.splat (i32.const 0x7fffffff)))
    (local.set $smallest (i32x4.splat (i32.const 0x00800000)))

    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $quads) (i32.const 4))))
    (local.set $vStep (f32x4.splat (local.get $step)))
    (local.set $vMu (f32x4.splat (local.get $mu)))
    (local.set $vKeep (f32x4.splat (local.get $keep)))
    (local.set $vWd (f32x4.splat (local.get $wd)))
    (local.set $vSign (f32x4.splat (local.get $sign)))
    (local.set $hasWd (f32.ne (local.get $wd) (f32.const 0)))
    (local.set $damped (f32.ne (local.get $keep) (f32.const 1)))
    ;; Where relaxed_madd is one rounding ($fused: fusedMadd said so for this module), it is
    ;; PyTorch's fmadd itself: the loops below without the float64 route (4× faster under V8).
    (if (local.get $fused)
      (then
        (if (i32.and (i32.eq (local.get $mode) (i32.const 2))
              (i32.eqz (i32.or (i32.or (local.get $hasWd) (local.get $damped)) (local.get $nesterov))))
          (then
            (loop $quad
              (local.set $pv (v128.load (local.get $p)))
              (local.set $bv (f32x4.add
                (f32x4.mul (local.get $vMu) (v128.load (local.get $b)))
                (f32x4.mul (local.get $vSign) (v128.load (local.get $g)))))
              (v128.store (local.get $b) (local.get $bv))
              (v128.store (local.get $p) (f32x4.relaxed_madd (local.get $vStep) (local.get $bv) (local.get $pv)))
              (local.set $g (i32.add (local.get $g) (i32.const 16)))
              (local.set $b (i32.add (local.get $b) (i32.const 16)))
              (br_if $quad (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
            (return)))
        (loop $quad
          (local.set $pv (v128.load (local.get $p)))
          (local.set $d (f32x4.mul (local.get $vSign) (v128.load (local.get $g))))
          (if (local.get $hasWd)
            (then (local.set $d (f32x4.relaxed_madd (local.get $vWd) (local.get $pv) (local.get $d)))))
          (if (local.get $mode)
            (then
              (if (i32.eq (local.get $mode) (i32.const 1))
                (then (local.set $bv (local.get $d)))
                (else
                  (local.set $bv (f32x4.mul (local.get $vMu) (v128.load (local.get $b))))
                  (if (local.get $damped)
                    (then (local.set $bv (f32x4.relaxed_madd (local.get $vKeep) (local.get $d) (local.get $bv))))
                    (else (local.set $bv (f32x4.add (local.get $bv) (local.get $d)))))))
              (v128.store (local.get $b) (local.get $bv))
              (local.set $b (i32.add (local.get $b) (i32.const 16)))
              (if (local.get $nesterov)
                (then (local.set $d (f32x4.relaxed_madd (local.get $vMu) (local.get $bv) (local.get $d))))
                (else (local.set $d (local.get $bv))))))
          (v128.store (local.get $p) (f32x4.relaxed_madd (local.get $vStep) (local.get $d) (local.get $pv)))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (br_if $quad (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
        (return)))
    (if (i32.and (i32.eq (local.get $mode) (i32.const 2))
          (i32.eqz (i32.or (i32.or (local.get $hasWd) (local.get $damped)) (local.get $nesterov))))
      (then
        ;; Plain momentum, the common case, without the branches of the loop below.
        (loop $quad
          (local.set $pv (v128.load (local.get $p)))
          (local.set $bv (f32x4.add
            (f32x4.mul (local.get $vMu) (v128.load (local.get $b)))
            (f32x4.mul (local.get $vSign) (v128.load (local.get $g)))))
          (v128.store (local.get $b) (local.get $bv))
          (local.set $lo (f64x2.add
            (f64x2.mul (local.get $vStepLo) (f64x2.promote_low_f32x4 (local.get $bv)))
            (f64x2.promote_low_f32x4 (local.get $pv))))
          (local.set $hi (f64x2.add
            (f64x2.mul (local.get $vStepLo)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bv) (local.get $bv))))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $pv) (local.get $pv)))))
          (local.set $out (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
          (if (v128.any_true (v128.or
                (v128.or
                  (i64x2.eq (v128.and (local.get $lo) (local.get $low29)) (local.get $halfway))
                  (i64x2.eq (v128.and (local.get $hi) (local.get $low29)) (local.get $halfway)))
                (i32x4.le_u (v128.and (local.get $out) (local.get $magnitude)) (local.get $smallest))))
            (then (local.set $out (call $fmaRound (local.get $vStep) (local.get $bv) (local.get $pv)))))
          (v128.store (local.get $p) (local.get $out))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 16)))
          (br_if $quad (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end))))
        (return)))
    ;; $fmaRound is written out for weight decay and the update of p: a call per group of four
    ;; costs more than its arithmetic (V8 does not inline it).
    (loop $quad
      (local.set $pv (v128.load (local.get $p)))
      (local.set $d (f32x4.mul (local.get $vSign) (v128.load (local.get $g))))
      (if (local.get $hasWd)
        (then
          (local.set $lo (f64x2.add
            (f64x2.mul (local.get $vWdLo) (f64x2.promote_low_f32x4 (local.get $pv)))
            (f64x2.promote_low_f32x4 (local.get $d))))
          (local.set $hi (f64x2.add
            (f64x2.mul (local.get $vWdLo)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $pv) (local.get $pv))))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))))
          (local.set $out (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
          (if (v128.any_true (v128.or
                (v128.or
                  (i64x2.eq (v128.and (local.get $lo) (local.get $low29)) (local.get $halfway))
                  (i64x2.eq (v128.and (local.get $hi) (local.get $low29)) (local.get $halfway)))
                (i32x4.le_u (v128.and (local.get $out) (local.get $magnitude)) (local.get $smallest))))
            (then (local.set $out (call $fmaRound (local.get $vWd) (local.get $pv) (local.get $d)))))
          (local.set $d (local.get $out))))
      (if (local.get $mode)
        (then
          (if (i32.eq (local.get $mode) (i32.const 1))
            (then (local.set $bv (local.get $d)))
            (else
              (local.set $bv (f32x4.mul (local.get $vMu) (v128.load (local.get $b))))
              (if (local.get $damped)
                (then (local.set $bv (call $fmaRound (local.get $vKeep) (local.get $d) (local.get $bv))))
                (else (local.set $bv (f32x4.add (local.get $bv) (local.get $d)))))))
          (v128.store (local.get $b) (local.get $bv))
          (local.set $b (i32.add (local.get $b) (i32.const 16)))
          (if (local.get $nesterov)
            (then (local.set $d (call $fmaRound (local.get $vMu) (local.get $bv) (local.get $d))))
            (else (local.set $d (local.get $bv))))))
      (local.set $lo (f64x2.add
        (f64x2.mul (local.get $vStepLo) (f64x2.promote_low_f32x4 (local.get $d)))
        (f64x2.promote_low_f32x4 (local.get $pv))))
      (local.set $hi (f64x2.add
        (f64x2.mul (local.get $vStepLo)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $pv) (local.get $pv)))))
      (local.set $out (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      (if (v128.any_true (v128.or
            (v128.or
              (i64x2.eq (v128.and (local.get $lo) (local.get $low29)) (local.get $halfway))
              (i64x2.eq (v128.and (local.get $hi) (local.get $low29)) (local.get $halfway)))
            (i32x4.le_u (v128.and (local.get $out) (local.get $magnitude)) (local.get $smallest))))
        (then (local.set $out (call $fmaRound (local.get $vStep) (local.get $d) (local.get $pv)))))
      (v128.store (local.get $p) (local.get $out))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br_if $quad (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end)))))
  ;; 1 where relaxed_madd rounds once (a fused multiply-add: V8 on CPUs with FMA), 0 where it
  ;; rounds the product first: (1 + 2^-12)^2 - (1 + 2^-11) is 2^-24 fused and 0 unfused. In the
  ;; plain-SIMD module (relaxed_madd spelled as mul + add) it is 0.
  (func (export "fusedMadd") (result i32)
    (local $x v128)
    (local.set $x (f32x4.splat (f32.const 0x1.001p+0)))
    (f32.ne (f32x4.extract_lane 0
      (f32x4.relaxed_madd (local.get $x) (local.get $x) (f32x4.splat (f32.const -0x1.002p+0))))
      (f32.const 0)))
  ;; a*x + y per lane of float32s, rounded once to float32 (roundFma of optimizer.ts): the product
  ;; is exact in float64, the float64 sum is demoted; only where that sum may sit exactly halfway
  ;; between two float32s (its low 29 bits 1 then 28 zeros; or a result of magnitude at most
  ;; float32's smallest normal, where halfway points have other bits) do the lanes go one by one
  ;; through $roundFmaLane, which settles the tie with the sum's error term.
  (func $fmaRound (param $a v128) (param $x v128) (param $y v128) (result v128)
    (local $lo v128) (local $hi v128) (local $out v128)
    (local.set $lo (f64x2.add
      (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $x)))
      (f64x2.promote_low_f32x4 (local.get $y))))
    (local.set $hi (f64x2.add
      (f64x2.mul
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))))
    (local.set $out (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    (if (i32.eqz (v128.any_true (v128.or
          (v128.or
            (i64x2.eq (v128.and (local.get $lo) (i64x2.splat (i64.const 0x1fffffff))) (i64x2.splat (i64.const 0x10000000)))
            (i64x2.eq (v128.and (local.get $hi) (i64x2.splat (i64.const 0x1fffffff))) (i64x2.splat (i64.const 0x10000000))))
          (i32x4.le_u (v128.and (local.get $out) (i32x4.splat (i32.const 0x7fffffff)))
            (i32x4.splat (i32.const 0x00800000))))))
      (then (return (local.get $out))))
    (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.replace_lane 0
      (local.get $a)
      (call $roundFmaLane (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 0 (local.get $y))))
      (call $roundFmaLane (f32x4.extract_lane 1 (local.get $a)) (f32x4.extract_lane 1 (local.get $x)) (f32x4.extract_lane 1 (local.get $y))))
      (call $roundFmaLane (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 2 (local.get $x)) (f32x4.extract_lane 2 (local.get $y))))
      (call $roundFmaLane (f32x4.extract_lane 3 (local.get $a)) (f32x4.extract_lane 3 (local.get $x)) (f32x4.extract_lane 3 (local.get $y)))))
  ;; roundFma of optimizer.ts on one lane, step for step.
  (func $roundFmaLane (param $a f32) (param $x f32) (param $y f32) (result f32)
    (local $product f64) (local $sum f64) (local $rounded f32) (local $half f64) (local $other f64)
    (local $yPart f64) (local $error f64)
    (local.set $product (f64.mul (f64.promote_f32 (local.get $a)) (f64.promote_f32 (local.get $x))))
    (local.set $sum (f64.add (local.get $product) (f64.promote_f32 (local.get $y))))
    (local.set $rounded (f32.demote_f64 (local.get $sum)))
    (local.set $half (f64.sub (local.get $sum) (f64.promote_f32 (local.get $rounded))))
    (if (f64.eq (local.get $half) (f64.const 0)) (then (return (local.get $rounded))))
    (local.set $other (f64.add (f64.promote_f32 (local.get $rounded)) (f64.add (local.get $half) (local.get $half))))
    (if (f64.ne (f64.promote_f32 (f32.demote_f64 (local.get $other))) (local.get $other))
      (then (return (local.get $rounded))))
    (local.set $yPart (f64.sub (local.get $sum) (local.get $product)))
    (local.set $error (f64.add
      (f64.sub (local.get $product) (f64.sub (local.get $sum) (local.get $yPart)))
      (f64.sub (f64.promote_f32 (local.get $y)) (local.get $yPart))))
    (if (i32.and (f64.ne (local.get $error) (f64.const 0))
          (i32.eq (f64.gt (local.get $error) (f64.const 0)) (f64.gt (local.get $half) (f64.const 0))))
      (then (return (f32.demote_f64 (local.get $other)))))
    (local.get $rounded))
  ;; The optimizer loops of optimizer.ts (adamKernel, rmspropKernel, adagradKernel,
  ;; lionKernel) on pairs of float32s in f64x2, with the JavaScript expressions' exact order of
  ;; operations, so every result is bit-for-bit the scalar one: values are promoted to float64
  ;; (exact), computed there, and demoted to float32 (rounding as a Float32Array store or
  ;; Math.fround) exactly where the TypeScript stores or frounds them; a demoted value that is used
  ;; again is promoted back, as the TypeScript reads its fround-ed local. Each updates $pairs pairs
  ;; in place at the given byte addresses (optimizer_wasm.ts copies the operands in and the
  ;; results out).
  ;; adam: p = f32(p*decay); g = sign*grad + l2*p; m = f32(beta1*m + (1 - beta1)*g);
  ;; v = f32(beta2*v + ((1 - beta2)*g)*g); with $vMax (not 0, amsgrad) vm = v > vMax ? v : vMax
  ;; (a NaN v keeps vMax) is stored and used for v below; p = p - (stepSize*m) / (sqrt(v) / bc2Sqrt + eps).
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $vMax i32)
      (param $pairs i32) (param $beta1 f64) (param $beta2 f64) (param $stepSize f64)
      (param $bc2Sqrt f64) (param $eps f64) (param $sign f64) (param $l2 f64) (param $decay f64)
    (local $end i32) (local $pv v128) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $m32 v128) (local $v32 v128) (local $old v128)
    (local $vB1 v128) (local $vB2 v128) (local $vC1 v128) (local $vC2 v128) (local $vStep v128)
    (local $vBc v128) (local $vEps v128) (local $vSign v128) (local $vL2 v128) (local $vDecay v128)
    (if (i32.eqz (local.get $pairs)) (then (return)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $pairs) (i32.const 3))))
    (local.set $vB1 (f64x2.splat (local.get $beta1)))
    (local.set $vB2 (f64x2.splat (local.get $beta2)))
    (local.set $vC1 (f64x2.splat (f64.sub (f64.const 1) (local.get $beta1))))
    (local.set $vC2 (f64x2.splat (f64.sub (f64.const 1) (local.get $beta2))))
    (local.set $vStep (f64x2.splat (local.get $stepSize)))
    (local.set $vBc (f64x2.splat (local.get $bc2Sqrt)))
    (local.set $vEps (f64x2.splat (local.get $eps)))
    (local.set $vSign (f64x2.splat (local.get $sign)))
    (local.set $vL2 (f64x2.splat (local.get $l2)))
    (local.set $vDecay (f64x2.splat (local.get $decay)))
    (loop $pair
      (local.set $pv (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul
        (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (local.get $vDecay)))))
      (local.set $gv (f64x2.add
        (f64x2.mul (local.get $vSign) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (f64x2.mul (local.get $vL2) (local.get $pv))))
      (local.set $m32 (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vB1) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
        (f64x2.mul (local.get $vC1) (local.get $gv)))))
      (local.set $v32 (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vB2) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $v))))
        (f64x2.mul (f64x2.mul (local.get $vC2) (local.get $gv)) (local.get $gv)))))
      (v128.store64_lane 0 (local.get $m) (local.get $m32))
      (v128.store64_lane 0 (local.get $v) (local.get $v32))
      (local.set $mv (f64x2.promote_low_f32x4 (local.get $m32)))
      (local.set $vv (f64x2.promote_low_f32x4 (local.get $v32)))
      (if (local.get $vMax)
        (then
          (local.set $old (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $vMax))))
          (local.set $vv (v128.bitselect (local.get $vv) (local.get $old)
            (f64x2.gt (local.get $vv) (local.get $old))))
          (v128.store64_lane 0 (local.get $vMax) (f32x4.demote_f64x2_zero (local.get $vv)))
          (local.set $vMax (i32.add (local.get $vMax) (i32.const 8)))))
      (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $pv)
        (f64x2.div (f64x2.mul (local.get $vStep) (local.get $mv))
          (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vv)) (local.get $vBc)) (local.get $vEps))))))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $m (i32.add (local.get $m) (i32.const 8)))
      (local.set $v (i32.add (local.get $v) (i32.const 8)))
      (br_if $pair (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $end)))))
  ;; rmsprop: g = sign*grad + wd*p; s = f32(alpha*s + ((1 - alpha)*g)*g); with $gAvg (not 0,
  ;; centered) a = f32(alpha*a + (1 - alpha)*g) and d = sqrt(s - a*a) + eps, else d = sqrt(s) + eps;
  ;; with $buf (not 0, momentum) b = f32(momentum*b + g/d) and p = p - lr*b, else p = p - (lr*g)/d.
  (func (export "rmsprop") (param $p i32) (param $g i32) (param $sq i32) (param $gAvg i32)
      (param $buf i32) (param $pairs i32) (param $lr f64) (param $alpha f64) (param $eps f64)
      (param $wd f64) (param $momentum f64) (param $sign f64)
    (local $end i32) (local $pv v128) (local $gv v128) (local $sv v128) (local $av v128)
    (local $d v128) (local $s32 v128) (local $a32 v128) (local $b32 v128)
    (local $vLr v128) (local $vAlpha v128) (local $vC v128) (local $vEps v128) (local $vWd v128)
    (local $vMom v128) (local $vSign v128)
    (if (i32.eqz (local.get $pairs)) (then (return)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $pairs) (i32.const 3))))
    (local.set $vLr (f64x2.splat (local.get $lr)))
    (local.set $vAlpha (f64x2.splat (local.get $alpha)))
    (local.set $vC (f64x2.splat (f64.sub (f64.const 1) (local.get $alpha))))
    (local.set $vEps (f64x2.splat (local.get $eps)))
    (local.set $vWd (f64x2.splat (local.get $wd)))
    (local.set $vMom (f64x2.splat (local.get $momentum)))
    (local.set $vSign (f64x2.splat (local.get $sign)))
    (loop $pair
      (local.set $pv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))
      (local.set $gv (f64x2.add
        (f64x2.mul (local.get $vSign) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (f64x2.mul (local.get $vWd) (local.get $pv))))
      (local.set $s32 (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vAlpha) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $sq))))
        (f64x2.mul (f64x2.mul (local.get $vC) (local.get $gv)) (local.get $gv)))))
      (v128.store64_lane 0 (local.get $sq) (local.get $s32))
      (local.set $sv (f64x2.promote_low_f32x4 (local.get $s32)))
      (if (local.get $gAvg)
        (then
          (local.set $a32 (f32x4.demote_f64x2_zero (f64x2.add
            (f64x2.mul (local.get $vAlpha) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $gAvg))))
            (f64x2.mul (local.get $vC) (local.get $gv)))))
          (v128.store64_lane 0 (local.get $gAvg) (local.get $a32))
          (local.set $av (f64x2.promote_low_f32x4 (local.get $a32)))
          (local.set $sv (f64x2.sub (local.get $sv) (f64x2.mul (local.get $av) (local.get $av))))
          (local.set $gAvg (i32.add (local.get $gAvg) (i32.const 8)))))
      (local.set $d (f64x2.add (f64x2.sqrt (local.get $sv)) (local.get $vEps)))
      (if (local.get $buf)
        (then
          (local.set $b32 (f32x4.demote_f64x2_zero (f64x2.add
            (f64x2.mul (local.get $vMom) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $buf))))
            (f64x2.div (local.get $gv) (local.get $d)))))
          (v128.store64_lane 0 (local.get $buf) (local.get $b32))
          (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $pv)
            (f64x2.mul (local.get $vLr) (f64x2.promote_low_f32x4 (local.get $b32))))))
          (local.set $buf (i32.add (local.get $buf) (i32.const 8))))
        (else
          (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $pv)
            (f64x2.div (f64x2.mul (local.get $vLr) (local.get $gv)) (local.get $d)))))))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $sq (i32.add (local.get $sq) (i32.const 8)))
      (br_if $pair (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $end)))))
  ;; adagrad: g = sign*grad + wd*p; s = f32(s + g*g); p = p - (clr*g) / (sqrt(s) + eps).
  (func (export "adagrad") (param $p i32) (param $g i32) (param $sum i32) (param $pairs i32)
      (param $clr f64) (param $eps f64) (param $wd f64) (param $sign f64)
    (local $end i32) (local $pv v128) (local $gv v128) (local $s32 v128)
    (local $vClr v128) (local $vEps v128) (local $vWd v128) (local $vSign v128)
    (if (i32.eqz (local.get $pairs)) (then (return)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $pairs) (i32.const 3))))
    (local.set $vClr (f64x2.splat (local.get $clr)))
    (local.set $vEps (f64x2.splat (local.get $eps)))
    (local.set $vWd (f64x2.splat (local.get $wd)))
    (local.set $vSign (f64x2.splat (local.get $sign)))
    (loop $pair
      (local.set $pv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))
      (local.set $gv (f64x2.add
        (f64x2.mul (local.get $vSign) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
        (f64x2.mul (local.get $vWd) (local.get $pv))))
      (local.set $s32 (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $sum)))
        (f64x2.mul (local.get $gv) (local.get $gv)))))
      (v128.store64_lane 0 (local.get $sum) (local.get $s32))
      (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub (local.get $pv)
        (f64x2.div (f64x2.mul (local.get $vClr) (local.get $gv))
          (f64x2.add (f64x2.sqrt (f64x2.promote_low_f32x4 (local.get $s32))) (local.get $vEps))))))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $sum (i32.add (local.get $sum) (i32.const 8)))
      (br_if $pair (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $end)))))
  ;; lion: p = f32(p*decay); c = beta1*m + (1 - beta1)*grad; p = p - lr*s with s = +1 or -1 by
  ;; c's sign, or c itself where c is +-0 or NaN (Math.sign); m = beta2*m + (1 - beta2)*grad.
  (func (export "lion") (param $p i32) (param $g i32) (param $m i32) (param $pairs i32)
      (param $lr f64) (param $beta1 f64) (param $beta2 f64) (param $decay f64)
    (local $end i32) (local $gv v128) (local $mv v128) (local $c v128) (local $pos v128)
    (local $neg v128) (local $vLr v128) (local $vB1 v128) (local $vB2 v128) (local $vC1 v128)
    (local $vC2 v128) (local $vDecay v128)
    (if (i32.eqz (local.get $pairs)) (then (return)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $pairs) (i32.const 3))))
    (local.set $vLr (f64x2.splat (local.get $lr)))
    (local.set $vB1 (f64x2.splat (local.get $beta1)))
    (local.set $vB2 (f64x2.splat (local.get $beta2)))
    (local.set $vC1 (f64x2.splat (f64.sub (f64.const 1) (local.get $beta1))))
    (local.set $vC2 (f64x2.splat (f64.sub (f64.const 1) (local.get $beta2))))
    (local.set $vDecay (f64x2.splat (local.get $decay)))
    (loop $pair
      (local.set $gv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $g))))
      (local.set $mv (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $m))))
      (local.set $c (f64x2.add (f64x2.mul (local.get $vB1) (local.get $mv))
        (f64x2.mul (local.get $vC1) (local.get $gv))))
      (local.set $pos (f64x2.gt (local.get $c) (f64x2.splat (f64.const 0))))
      (local.set $neg (f64x2.lt (local.get $c) (f64x2.splat (f64.const 0))))
      (local.set $c (v128.bitselect
        (v128.bitselect (f64x2.splat (f64.const 1)) (f64x2.splat (f64.const -1)) (local.get $pos))
        (local.get $c)
        (v128.or (local.get $pos) (local.get $neg))))
      (v128.store64_lane 0 (local.get $p) (f32x4.demote_f64x2_zero (f64x2.sub
        (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.mul
          (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (local.get $vDecay))))
        (f64x2.mul (local.get $vLr) (local.get $c)))))
      (v128.store64_lane 0 (local.get $m) (f32x4.demote_f64x2_zero (f64x2.add
        (f64x2.mul (local.get $vB2) (local.get $mv)) (f64x2.mul (local.get $vC2) (local.get $gv)))))
      (local.set $g (i32.add (local.get $g) (i32.const 8)))
      (local.set $m (i32.add (local.get $m) (i32.const 8)))
      (br_if $pair (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $end)))))

  ;; GELU's forward and its derivative in one pass over pairs of float32s at $x, sharing the piece
  ;; and its powers: y = x * P_k(s) with P from $table (Phi) as float32 at $y, and d = Q_k(s) with Q
  ;; from $table2 (Phi + x phi) as float64 at $d; both as `eighths` computes them (bit for bit).
  ;; Returns how many inputs were outside (-6.0625, 5.9375) or NaN, for the caller to recompute.
  (func (export "eighthsBoth") (param $x i32) (param $y i32) (param $d i32) (param $pairs i32)
      (param $table i32) (param $table2 i32) (result i32)
    (local $end i32) (local $bad i32) (local $p0 i32) (local $p1 i32) (local $p20 i32) (local $p21 i32)
    (local $k v128) (local $v v128) (local $in v128) (local $u v128) (local $s v128) (local $s2 v128)
    (local $s4 v128) (local $o0 i32) (local $o1 i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $pairs) (i32.const 3))))
    (if (i32.eqz (local.get $pairs)) (then (return (i32.const 0))))
    (loop $pair
      (local.set $v (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $x))))
      (local.set $in (v128.and
        (f64x2.gt (local.get $v) (f64x2.splat (f64.const -6.0625)))
        (f64x2.lt (local.get $v) (f64x2.splat (f64.const 5.9375)))))
      (if (i32.eqz (i64x2.all_true (local.get $in)))
        (then
          (local.set $bad (i32.add (local.get $bad)
            (i32.popcnt (i8x16.bitmask (i64x2.eq (local.get $in) (v128.const i64x2 0 0))))))))
      (local.set $u (f64x2.add
        (v128.and (local.get $v) (local.get $in)) (f64x2.splat (f64.const 6.0625))))
      (local.set $k (i32x4.trunc_sat_f64x2_s_zero (f64x2.mul (local.get $u) (f64x2.splat (f64.const 8)))))
      (local.set $s (f64x2.sub
        (f64x2.sub (f64x2.mul (local.get $u) (f64x2.splat (f64.const 16)))
          (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $k)) (f64x2.splat (f64.const 2))))
        (f64x2.splat (f64.const 1))))
      (local.set $o0 (i32.mul (i32x4.extract_lane 0 (local.get $k)) (i32.const 88)))
      (local.set $o1 (i32.mul (i32x4.extract_lane 1 (local.get $k)) (i32.const 88)))
      (local.set $p0 (i32.add (local.get $table) (local.get $o0)))
      (local.set $p1 (i32.add (local.get $table) (local.get $o1)))
      (local.set $p20 (i32.add (local.get $table2) (local.get $o0)))
      (local.set $p21 (i32.add (local.get $table2) (local.get $o1)))
      (local.set $s2 (f64x2.mul (local.get $s) (local.get $s)))
      (local.set $s4 (f64x2.mul (local.get $s2) (local.get $s2)))
      (v128.store64_lane 0 (local.get $y)
        (f32x4.demote_f64x2_zero (f64x2.mul (local.get $v) (f64x2.add
        (f64x2.add
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=0 1 (local.get $p1) (v128.load64_zero offset=0 (local.get $p0))) (f64x2.mul (v128.load64_lane offset=8 1 (local.get $p1) (v128.load64_zero offset=8 (local.get $p0))) (local.get $s)))
            (f64x2.mul (f64x2.add (v128.load64_lane offset=16 1 (local.get $p1) (v128.load64_zero offset=16 (local.get $p0))) (f64x2.mul (v128.load64_lane offset=24 1 (local.get $p1) (v128.load64_zero offset=24 (local.get $p0))) (local.get $s))) (local.get $s2)))
          (f64x2.mul
            (f64x2.add
              (f64x2.add (v128.load64_lane offset=32 1 (local.get $p1) (v128.load64_zero offset=32 (local.get $p0))) (f64x2.mul (v128.load64_lane offset=40 1 (local.get $p1) (v128.load64_zero offset=40 (local.get $p0))) (local.get $s)))
              (f64x2.mul (f64x2.add (v128.load64_lane offset=48 1 (local.get $p1) (v128.load64_zero offset=48 (local.get $p0))) (f64x2.mul (v128.load64_lane offset=56 1 (local.get $p1) (v128.load64_zero offset=56 (local.get $p0))) (local.get $s))) (local.get $s2)))
            (local.get $s4)))
        (f64x2.mul
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=64 1 (local.get $p1) (v128.load64_zero offset=64 (local.get $p0))) (f64x2.mul (v128.load64_lane offset=72 1 (local.get $p1) (v128.load64_zero offset=72 (local.get $p0))) (local.get $s)))
            (f64x2.mul (v128.load64_lane offset=80 1 (local.get $p1) (v128.load64_zero offset=80 (local.get $p0))) (local.get $s2)))
          (f64x2.mul (local.get $s4) (local.get $s4)))))))
      (v128.store (local.get $d) (f64x2.add
        (f64x2.add
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=0 1 (local.get $p21) (v128.load64_zero offset=0 (local.get $p20))) (f64x2.mul (v128.load64_lane offset=8 1 (local.get $p21) (v128.load64_zero offset=8 (local.get $p20))) (local.get $s)))
            (f64x2.mul (f64x2.add (v128.load64_lane offset=16 1 (local.get $p21) (v128.load64_zero offset=16 (local.get $p20))) (f64x2.mul (v128.load64_lane offset=24 1 (local.get $p21) (v128.load64_zero offset=24 (local.get $p20))) (local.get $s))) (local.get $s2)))
          (f64x2.mul
            (f64x2.add
              (f64x2.add (v128.load64_lane offset=32 1 (local.get $p21) (v128.load64_zero offset=32 (local.get $p20))) (f64x2.mul (v128.load64_lane offset=40 1 (local.get $p21) (v128.load64_zero offset=40 (local.get $p20))) (local.get $s)))
              (f64x2.mul (f64x2.add (v128.load64_lane offset=48 1 (local.get $p21) (v128.load64_zero offset=48 (local.get $p20))) (f64x2.mul (v128.load64_lane offset=56 1 (local.get $p21) (v128.load64_zero offset=56 (local.get $p20))) (local.get $s))) (local.get $s2)))
            (local.get $s4)))
        (f64x2.mul
          (f64x2.add
            (f64x2.add (v128.load64_lane offset=64 1 (local.get $p21) (v128.load64_zero offset=64 (local.get $p20))) (f64x2.mul (v128.load64_lane offset=72 1 (local.get $p21) (v128.load64_zero offset=72 (local.get $p20))) (local.get $s)))
            (f64x2.mul (v128.load64_lane offset=80 1 (local.get $p21) (v128.load64_zero offset=80 (local.get $p20))) (local.get $s2)))
          (f64x2.mul (local.get $s4) (local.get $s4)))))
      (local.set $y (i32.add (local.get $y) (i32.const 8)))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (br_if $pair (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 8))) (local.get $end))))
    (local.get $bad))

  ;; The index of the first non-finite float32 (NaN or +-Infinity) among $n at $x, or -1: sixteen
  ;; at a time, x - x is 0 for a finite x and NaN otherwise, and a NaN survives the sum of four
  ;; such vectors; a block that is not all zeros is scanned one by one for its first.
  (func (export "firstNonFinite") (param $x i32) (param $n i32) (result i32)
    (local $i i32) (local $end16 i32) (local $acc v128) (local $v v128) (local $j i32)
    (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $end16)))
        (local.set $j (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $v (v128.load offset=0 (local.get $j)))
        (local.set $acc (f32x4.sub (local.get $v) (local.get $v)))
        (local.set $v (v128.load offset=16 (local.get $j)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=32 (local.get $j)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (local.set $v (v128.load offset=48 (local.get $j)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.sub (local.get $v) (local.get $v))))
        (br_if $done (v128.any_true (f32x4.ne (local.get $acc) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    ;; from $i (a flagged block, or the tail) one by one
    (block $none
      (loop $scalar
        (br_if $none (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
        (if (f32.ne
              (f32.sub (f32.load (local.get $j)) (f32.load (local.get $j)))
              (f32.const 0))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scalar)))
    (i32.const -1))

  ;; relu forward in place on $n floats at $x: max(x, 0) four at a time. f32x4.max keeps NaN and
  ;; maps -Infinity to 0, as torch.relu does; the tail one by one with f32.max alike.
  (func (export "reluInPlace") (param $x i32) (param $n i32)
    (local $p i32) (local $end i32) (local $end16 i32) (local $zero v128)
    (local.set $p (local.get $x))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.sub (local.get $end) (i32.const 64)))
    (block $done
      (loop $blocks
        (br_if $done (i32.gt_s (local.get $p) (local.get $end16)))
        (v128.store offset=0 (local.get $p) (f32x4.max (v128.load offset=0 (local.get $p)) (local.get $zero)))
        (v128.store offset=16 (local.get $p) (f32x4.max (v128.load offset=16 (local.get $p)) (local.get $zero)))
        (v128.store offset=32 (local.get $p) (f32x4.max (v128.load offset=32 (local.get $p)) (local.get $zero)))
        (v128.store offset=48 (local.get $p) (f32x4.max (v128.load offset=48 (local.get $p)) (local.get $zero)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $blocks)))
    (block $none
      (loop $scalar
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (local.get $p) (f32.max (f32.load (local.get $p)) (f32.const 0)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $scalar))))
)
