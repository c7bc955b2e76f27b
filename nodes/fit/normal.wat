;; Normal equations of a small dense least-squares step (see trust-region.ts): with the Jacobian J
;; stored column by column (column a at J + a·m·8 bytes, m float64 each),
;;   wr = d1 ∘ r,   g_a = J_aᵀ wr,   H_ab = H_ba = Σᵢ wᵢ J_ai J_bi   (b ≤ a),
;; H row-major p×p, g length p; wr (m float64) is scratch. Dot products in f64x2; unaligned
;; loads are fine in WASM. The H entries are formed two rows by two columns at a time, g two entries
;; at a time (four independent sums per pass: one dot product alone is latency-bound), w ∘ J_a is never
;; stored; each entry keeps the summation order it had when formed one (or two) at a time.
;; Also the rest of a Gaussian fit's inner loop (gaussian-model.ts, trust-region.ts): the baseline and
;; Gaussian terms of the residuals with their Jacobian columns, the soft_l1 loss pass, r += d·x.
;; Every element sees the same IEEE operations in the same order as the scalar JS it replaces (sums:
;; the same association), so results are bit-identical to it.
(module
  (memory (export "memory") 1)

  (func $dot (param $x i32) (param $y i32) (param $m i32) (result f64)
    (local $i i32) (local $end i32) (local $s0 v128) (local $s1 v128) (local $s f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 3)))
    (local.set $s0 (v128.const f64x2 0 0))
    (local.set $s1 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $s0 (f64x2.add (local.get $s0)
          (f64x2.mul (v128.load (i32.add (local.get $x) (local.get $i)))
                     (v128.load (i32.add (local.get $y) (local.get $i))))))
        (local.set $s1 (f64x2.add (local.get $s1)
          (f64x2.mul (v128.load offset=16 (i32.add (local.get $x) (local.get $i)))
                     (v128.load offset=16 (i32.add (local.get $y) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $tdone
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
      (loop $t
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.add (local.get $x) (local.get $i)))
                   (f64.load (i32.add (local.get $y) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $t (i32.lt_u (local.get $i) (local.get $end)))))
    (local.get $s))

;; Σ (w∘x)·y with the accumulation order of $dot (w·x rounded first, as if stored)
  (func $wdot (param $w i32) (param $x i32) (param $y i32) (param $m i32) (result f64)
    (local $i i32) (local $end i32) (local $s0 v128) (local $s1 v128) (local $s f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 3)))
    (local.set $s0 (v128.const f64x2 0 0))
    (local.set $s1 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $s0 (f64x2.add (local.get $s0)
          (f64x2.mul
            (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $i))) (v128.load (i32.add (local.get $x) (local.get $i))))
            (v128.load (i32.add (local.get $y) (local.get $i))))))
        (local.set $s1 (f64x2.add (local.get $s1)
          (f64x2.mul
            (f64x2.mul (v128.load offset=16 (i32.add (local.get $w) (local.get $i))) (v128.load offset=16 (i32.add (local.get $x) (local.get $i))))
            (v128.load offset=16 (i32.add (local.get $y) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $tdone
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
      (loop $t
        (local.set $s (f64.add (local.get $s)
          (f64.mul
            (f64.mul (f64.load (i32.add (local.get $w) (local.get $i))) (f64.load (i32.add (local.get $x) (local.get $i))))
            (f64.load (i32.add (local.get $y) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $t (i32.lt_u (local.get $i) (local.get $end)))))
    (local.get $s))

  ;; (w∘x)·y0 and (w∘x)·y1 in one pass, stored at o0 and o0t, o1 and o1t (H and its transpose)
  (func $wdot2 (param $w i32) (param $x i32) (param $y0 i32) (param $y1 i32) (param $m i32)
    (param $o0 i32) (param $o0t i32) (param $o1 i32) (param $o1t i32)
    (local $i i32) (local $end i32) (local $xv v128) (local $s0 v128) (local $s1 v128) (local $a f64) (local $b f64) (local $xs f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (local.set $s0 (v128.const f64x2 0 0))
    (local.set $s1 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $xv (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $i))) (v128.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $s0 (f64x2.add (local.get $s0)
          (f64x2.mul (local.get $xv) (v128.load (i32.add (local.get $y0) (local.get $i))))))
        (local.set $s1 (f64x2.add (local.get $s1)
          (f64x2.mul (local.get $xv) (v128.load (i32.add (local.get $y1) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $a (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $b (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (local.set $xs (f64.mul (f64.load (i32.add (local.get $w) (local.get $i))) (f64.load (i32.add (local.get $x) (local.get $i)))))
        (local.set $a (f64.add (local.get $a) (f64.mul (local.get $xs) (f64.load (i32.add (local.get $y0) (local.get $i))))))
        (local.set $b (f64.add (local.get $b) (f64.mul (local.get $xs) (f64.load (i32.add (local.get $y1) (local.get $i))))))))
    (f64.store (local.get $o0) (local.get $a))
    (f64.store (local.get $o0t) (local.get $a))
    (f64.store (local.get $o1) (local.get $b))
    (f64.store (local.get $o1t) (local.get $b)))

  ;; H at rows a, a+1 × columns b, b+1 (b + 1 < a) and the transposed entries: four sums per pass,
  ;; each in the order of $wdot2 (so of $dot2 on a stored w∘J_a)
  (func $blk (param $w i32) (param $x0 i32) (param $x1 i32) (param $y0 i32) (param $y1 i32) (param $m i32)
    (param $H i32) (param $p i32) (param $a i32) (param $b i32)
    (local $i i32) (local $end i32) (local $wv v128) (local $u0 v128) (local $u1 v128) (local $v0 v128) (local $v1 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $t00 f64) (local $t01 f64) (local $t10 f64) (local $t11 f64) (local $ws f64) (local $us f64) (local $vs f64) (local $ys0 f64) (local $ys1 f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (local.set $s00 (v128.const f64x2 0 0))
    (local.set $s01 (v128.const f64x2 0 0))
    (local.set $s10 (v128.const f64x2 0 0))
    (local.set $s11 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $wv (v128.load (i32.add (local.get $w) (local.get $i))))
        (local.set $u0 (f64x2.mul (local.get $wv) (v128.load (i32.add (local.get $x0) (local.get $i)))))
        (local.set $u1 (f64x2.mul (local.get $wv) (v128.load (i32.add (local.get $x1) (local.get $i)))))
        (local.set $v0 (v128.load (i32.add (local.get $y0) (local.get $i))))
        (local.set $v1 (v128.load (i32.add (local.get $y1) (local.get $i))))
        (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $u0) (local.get $v0))))
        (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $u0) (local.get $v1))))
        (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $u1) (local.get $v0))))
        (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $u1) (local.get $v1))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $t00 (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))))
    (local.set $t01 (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))))
    (local.set $t10 (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10))))
    (local.set $t11 (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (local.set $ws (f64.load (i32.add (local.get $w) (local.get $i))))
        (local.set $us (f64.mul (local.get $ws) (f64.load (i32.add (local.get $x0) (local.get $i)))))
        (local.set $vs (f64.mul (local.get $ws) (f64.load (i32.add (local.get $x1) (local.get $i)))))
        (local.set $ys0 (f64.load (i32.add (local.get $y0) (local.get $i))))
        (local.set $ys1 (f64.load (i32.add (local.get $y1) (local.get $i))))
        (local.set $t00 (f64.add (local.get $t00) (f64.mul (local.get $us) (local.get $ys0))))
        (local.set $t01 (f64.add (local.get $t01) (f64.mul (local.get $us) (local.get $ys1))))
        (local.set $t10 (f64.add (local.get $t10) (f64.mul (local.get $vs) (local.get $ys0))))
        (local.set $t11 (f64.add (local.get $t11) (f64.mul (local.get $vs) (local.get $ys1))))))
    (call $put (local.get $H) (local.get $p) (local.get $a) (local.get $b) (local.get $t00))
    (call $put (local.get $H) (local.get $p) (local.get $a) (i32.add (local.get $b) (i32.const 1)) (local.get $t01))
    (call $put (local.get $H) (local.get $p) (i32.add (local.get $a) (i32.const 1)) (local.get $b) (local.get $t10))
    (call $put (local.get $H) (local.get $p) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $b) (i32.const 1)) (local.get $t11)))

  ;; H[a][b] = H[b][a] = v
  (func $put (param $H i32) (param $p i32) (param $a i32) (param $b i32) (param $v f64)
    (f64.store (call $at (local.get $H) (local.get $p) (local.get $a) (local.get $b)) (local.get $v))
    (f64.store (call $at (local.get $H) (local.get $p) (local.get $b) (local.get $a)) (local.get $v)))

  ;; byte address of H[a][b] (row-major p×p)
  (func $at (param $H i32) (param $p i32) (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $p)) (local.get $b)) (i32.const 3))))

  ;; out[i] = x[i]·y[i], i < m (byte addresses)
  (func $mul (param $out i32) (param $x i32) (param $y i32) (param $m i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f64x2.mul (v128.load (i32.add (local.get $x) (local.get $i)))
                     (v128.load (i32.add (local.get $y) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (f64.store (i32.add (local.get $out) (local.get $i))
          (f64.mul (f64.load (i32.add (local.get $x) (local.get $i)))
                   (f64.load (i32.add (local.get $y) (local.get $i))))))))

  ;; x0·y and x1·y stored at o0, o1, each summed in the order of $dot (four sums per pass)
  (func $dotc2 (param $x0 i32) (param $x1 i32) (param $y i32) (param $m i32) (param $o0 i32) (param $o1 i32)
    (local $i i32) (local $end i32) (local $yv v128) (local $yw v128)
    (local $s0 v128) (local $s1 v128) (local $t0 v128) (local $t1 v128) (local $a f64) (local $b f64) (local $ys f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 3)))
    (local.set $s0 (v128.const f64x2 0 0))
    (local.set $s1 (v128.const f64x2 0 0))
    (local.set $t0 (v128.const f64x2 0 0))
    (local.set $t1 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $yv (v128.load (i32.add (local.get $y) (local.get $i))))
        (local.set $yw (v128.load offset=16 (i32.add (local.get $y) (local.get $i))))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (v128.load (i32.add (local.get $x0) (local.get $i))) (local.get $yv))))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (v128.load offset=16 (i32.add (local.get $x0) (local.get $i))) (local.get $yw))))
        (local.set $t0 (f64x2.add (local.get $t0) (f64x2.mul (v128.load (i32.add (local.get $x1) (local.get $i))) (local.get $yv))))
        (local.set $t1 (f64x2.add (local.get $t1) (f64x2.mul (v128.load offset=16 (i32.add (local.get $x1) (local.get $i))) (local.get $yw))))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $t0 (f64x2.add (local.get $t0) (local.get $t1)))
    (local.set $a (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $b (f64.add (f64x2.extract_lane 0 (local.get $t0)) (f64x2.extract_lane 1 (local.get $t0))))
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $tdone
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
      (loop $t
        (local.set $ys (f64.load (i32.add (local.get $y) (local.get $i))))
        (local.set $a (f64.add (local.get $a) (f64.mul (f64.load (i32.add (local.get $x0) (local.get $i))) (local.get $ys))))
        (local.set $b (f64.add (local.get $b) (f64.mul (f64.load (i32.add (local.get $x1) (local.get $i))) (local.get $ys))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $t (i32.lt_u (local.get $i) (local.get $end)))))
    (f64.store (local.get $o0) (local.get $a))
    (f64.store (local.get $o1) (local.get $b)))

  (func (export "normal")
    (param $J i32) (param $r i32) (param $d1 i32) (param $w i32) (param $wr i32)
    (param $H i32) (param $g i32) (param $m i32) (param $p i32)
    (local $a i32) (local $b i32) (local $mb i32) (local $ja i32) (local $ja1 i32)
    (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
    (call $mul (local.get $wr) (local.get $d1) (local.get $r) (local.get $m))
    ;; g two columns per pass, then the odd one
    (block $gdone
      (loop $lg
        (br_if $gdone (i32.ge_u (i32.add (local.get $a) (i32.const 1)) (local.get $p)))
        (local.set $ja (i32.add (local.get $J) (i32.mul (local.get $a) (local.get $mb))))
        (call $dotc2 (local.get $ja) (i32.add (local.get $ja) (local.get $mb)) (local.get $wr) (local.get $m)
          (i32.add (local.get $g) (i32.shl (local.get $a) (i32.const 3)))
          (i32.add (local.get $g) (i32.shl (i32.add (local.get $a) (i32.const 1)) (i32.const 3))))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $lg)))
    (if (i32.lt_u (local.get $a) (local.get $p))
      (then
        (f64.store (i32.add (local.get $g) (i32.shl (local.get $a) (i32.const 3)))
          (call $dot (i32.add (local.get $J) (i32.mul (local.get $a) (local.get $mb))) (local.get $wr) (local.get $m)))))
    ;; rows a, a+1 together; row a: column pairs (b, b+1) up to a−1, then H_aa; row a+1: the same
    ;; pairs, then (a, a+1). A last single row (odd p) the same way without its partner.
    (local.set $a (i32.const 0))
    (block $adone
      (loop $la
        (br_if $adone (i32.ge_u (local.get $a) (local.get $p)))
        (local.set $ja (i32.add (local.get $J) (i32.mul (local.get $a) (local.get $mb))))
        (local.set $ja1 (i32.add (local.get $ja) (local.get $mb)))
        (local.set $b (i32.const 0))
        (block $pairs_done
          (loop $lb
            (br_if $pairs_done (i32.ge_u (i32.add (local.get $b) (i32.const 1)) (local.get $a)))
            (if (i32.lt_u (i32.add (local.get $a) (i32.const 1)) (local.get $p))
              (then
                (call $blk (local.get $w) (local.get $ja) (local.get $ja1)
                  (i32.add (local.get $J) (i32.mul (local.get $b) (local.get $mb)))
                  (i32.add (local.get $J) (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $mb)))
                  (local.get $m) (local.get $H) (local.get $p) (local.get $a) (local.get $b)))
              (else
                (call $wdot2 (local.get $w) (local.get $ja)
                  (i32.add (local.get $J) (i32.mul (local.get $b) (local.get $mb)))
                  (i32.add (local.get $J) (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $mb)))
                  (local.get $m)
                  (call $at (local.get $H) (local.get $p) (local.get $a) (local.get $b))
                  (call $at (local.get $H) (local.get $p) (local.get $b) (local.get $a))
                  (call $at (local.get $H) (local.get $p) (local.get $a) (i32.add (local.get $b) (i32.const 1)))
                  (call $at (local.get $H) (local.get $p) (i32.add (local.get $b) (i32.const 1)) (local.get $a)))))
            (local.set $b (i32.add (local.get $b) (i32.const 2)))
            (br $lb)))
        (f64.store (call $at (local.get $H) (local.get $p) (local.get $a) (local.get $a))
          (call $wdot (local.get $w) (local.get $ja) (local.get $ja) (local.get $m)))
        (if (i32.lt_u (i32.add (local.get $a) (i32.const 1)) (local.get $p))
          (then
            (call $wdot2 (local.get $w) (local.get $ja1) (local.get $ja) (local.get $ja1) (local.get $m)
              (call $at (local.get $H) (local.get $p) (i32.add (local.get $a) (i32.const 1)) (local.get $a))
              (call $at (local.get $H) (local.get $p) (local.get $a) (i32.add (local.get $a) (i32.const 1)))
              (call $at (local.get $H) (local.get $p) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $a) (i32.const 1)))
              (call $at (local.get $H) (local.get $p) (i32.add (local.get $a) (i32.const 1)) (i32.add (local.get $a) (i32.const 1))))))
        (local.set $a (i32.add (local.get $a) (i32.const 2)))
        (br $la))))

  ;; Baseline part of the residuals and its Jacobian columns: r = a·x + a0 − y, Ja = x, J1 = 1.
  (func (export "base") (param $x i32) (param $y i32) (param $r i32) (param $Ja i32) (param $J1 i32) (param $m i32)
    (param $a f64) (param $a0 f64)
    (local $i i32) (local $end i32) (local $av v128) (local $a0v v128) (local $xv v128)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $a0v (f64x2.splat (local.get $a0)))
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $i))))
        (v128.store (i32.add (local.get $r) (local.get $i))
          (f64x2.sub (f64x2.add (f64x2.mul (local.get $av) (local.get $xv)) (local.get $a0v))
                     (v128.load (i32.add (local.get $y) (local.get $i)))))
        (v128.store (i32.add (local.get $Ja) (local.get $i)) (local.get $xv))
        (v128.store (i32.add (local.get $J1) (local.get $i)) (v128.const f64x2 1 1))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (f64.store (i32.add (local.get $r) (local.get $i))
          (f64.sub (f64.add (f64.mul (local.get $a) (f64.load (i32.add (local.get $x) (local.get $i)))) (local.get $a0))
                   (f64.load (i32.add (local.get $y) (local.get $i)))))
        (f64.store (i32.add (local.get $Ja) (local.get $i)) (f64.load (i32.add (local.get $x) (local.get $i))))
        (f64.store (i32.add (local.get $J1) (local.get $i)) (f64.const 1)))))

  ;; One Gaussian A/(√(2π)σ)·exp(−(x − c)²/(2σ²)) added to r, its columns JA, Jc, Js written. ex (m
  ;; float64) gets exp(−(xᵢ − c)²/(2σ²)) by the recurrence of gaussian-model.ts from sample j outward
  ;; (seeds g, q forward and qb backward, ratio K computed there); is = 1/σ, is2 = 1/σ², hN = is/√(2π).
  (func (export "gauss") (param $x i32) (param $r i32) (param $ex i32) (param $JA i32) (param $Jc i32) (param $Js i32)
    (param $m i32) (param $j i32) (param $A f64) (param $c f64) (param $is f64) (param $is2 f64) (param $hN f64)
    (param $g f64) (param $q f64) (param $qb f64) (param $K f64)
    (local $i i32) (local $end i32) (local $o i32)
    (local $cv v128) (local $is2v v128) (local $isv v128) (local $hNv v128) (local $Av v128) (local $one v128)
    (local $d v128) (local $gk v128) (local $val v128)
    (local $ds f64) (local $gs f64) (local $vs f64)
    ;; forward from j
    (local.set $i (local.get $j))
    (block $fdone
      (loop $f
        (br_if $fdone (i32.ge_s (local.get $i) (local.get $m)))
        (f64.store (i32.add (local.get $ex) (i32.shl (local.get $i) (i32.const 3))) (local.get $g))
        (local.set $g (f64.mul (local.get $g) (local.get $q)))
        (local.set $q (f64.mul (local.get $q) (local.get $K)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $f)))
    ;; backward from j − 1
    (local.set $q (local.get $qb))
    (local.set $g (f64.mul (f64.load (i32.add (local.get $ex) (i32.shl (local.get $j) (i32.const 3)))) (local.get $q)))
    (local.set $i (i32.sub (local.get $j) (i32.const 1)))
    (block $bdone
      (loop $b
        (br_if $bdone (i32.lt_s (local.get $i) (i32.const 0)))
        (local.set $q (f64.mul (local.get $q) (local.get $K)))
        (f64.store (i32.add (local.get $ex) (i32.shl (local.get $i) (i32.const 3))) (local.get $g))
        (local.set $g (f64.mul (local.get $g) (local.get $q)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $b)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $is2v (f64x2.splat (local.get $is2)))
    (local.set $isv (f64x2.splat (local.get $is)))
    (local.set $hNv (f64x2.splat (local.get $hN)))
    (local.set $Av (f64x2.splat (local.get $A)))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $d (f64x2.sub (v128.load (i32.add (local.get $x) (local.get $i))) (local.get $cv)))
        (local.set $gk (f64x2.mul (local.get $hNv) (v128.load (i32.add (local.get $ex) (local.get $i)))))
        (local.set $val (f64x2.mul (local.get $Av) (local.get $gk)))
        (local.set $o (i32.add (local.get $r) (local.get $i)))
        (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o)) (local.get $val)))
        (v128.store (i32.add (local.get $JA) (local.get $i)) (local.get $gk))
        (v128.store (i32.add (local.get $Jc) (local.get $i))
          (f64x2.mul (f64x2.mul (local.get $val) (local.get $d)) (local.get $is2v)))
        (v128.store (i32.add (local.get $Js) (local.get $i))
          (f64x2.mul
            (f64x2.mul (local.get $val)
              (f64x2.sub (f64x2.mul (f64x2.mul (local.get $d) (local.get $d)) (local.get $is2v)) (local.get $one)))
            (local.get $isv)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (local.set $ds (f64.sub (f64.load (i32.add (local.get $x) (local.get $i))) (local.get $c)))
        (local.set $gs (f64.mul (local.get $hN) (f64.load (i32.add (local.get $ex) (local.get $i)))))
        (local.set $vs (f64.mul (local.get $A) (local.get $gs)))
        (local.set $o (i32.add (local.get $r) (local.get $i)))
        (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (local.get $vs)))
        (f64.store (i32.add (local.get $JA) (local.get $i)) (local.get $gs))
        (f64.store (i32.add (local.get $Jc) (local.get $i))
          (f64.mul (f64.mul (local.get $vs) (local.get $ds)) (local.get $is2)))
        (f64.store (i32.add (local.get $Js) (local.get $i))
          (f64.mul
            (f64.mul (local.get $vs)
              (f64.sub (f64.mul (f64.mul (local.get $ds) (local.get $ds)) (local.get $is2)) (f64.const 1)))
            (local.get $is))))))

  ;; soft_l1 loss pass (losses.ts, same operations): z = r²·inv, s = √(1+z), d1 = ρ′ = 1/s, w = ρ′
  ;; (irls ≠ 0) or ρ′³, floored at ε; returns Σ z/(s+1), summed in index order.
  (func (export "soft_l1") (param $r i32) (param $d1 i32) (param $w i32) (param $m i32) (param $inv f64) (param $irls i32)
    (result f64)
    (local $i i32) (local $end i32) (local $cost f64) (local $invv v128) (local $one v128) (local $eps v128)
    (local $z v128) (local $s v128) (local $s1 v128) (local $q v128) (local $p1 v128) (local $t v128) (local $rv v128)
    (local $zs f64) (local $ss f64) (local $s1s f64) (local $qs f64) (local $p1s f64) (local $ws f64)
    (local.set $invv (f64x2.splat (local.get $inv)))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $eps (v128.const f64x2 0x1p-52 0x1p-52))
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $rv (v128.load (i32.add (local.get $r) (local.get $i))))
        (local.set $z (f64x2.mul (f64x2.mul (local.get $rv) (local.get $rv)) (local.get $invv)))
        (local.set $s (f64x2.sqrt (f64x2.add (local.get $one) (local.get $z))))
        (local.set $s1 (f64x2.add (local.get $s) (local.get $one)))
        (local.set $q (f64x2.div (local.get $one) (f64x2.mul (local.get $s) (local.get $s1))))
        (local.set $p1 (f64x2.mul (local.get $q) (local.get $s1)))
        (local.set $t (f64x2.mul (f64x2.mul (local.get $z) (local.get $q)) (local.get $s)))
        (local.set $cost (f64.add (f64.add (local.get $cost) (f64x2.extract_lane 0 (local.get $t))) (f64x2.extract_lane 1 (local.get $t))))
        (v128.store (i32.add (local.get $d1) (local.get $i)) (local.get $p1))
        (if (i32.eqz (local.get $irls))
          (then (local.set $p1 (f64x2.mul (f64x2.mul (local.get $p1) (local.get $p1)) (local.get $p1)))))
        (v128.store (i32.add (local.get $w) (local.get $i)) (f64x2.max (local.get $p1) (local.get $eps)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (local.set $zs (f64.load (i32.add (local.get $r) (local.get $i))))
        (local.set $zs (f64.mul (f64.mul (local.get $zs) (local.get $zs)) (local.get $inv)))
        (local.set $ss (f64.sqrt (f64.add (f64.const 1) (local.get $zs))))
        (local.set $s1s (f64.add (local.get $ss) (f64.const 1)))
        (local.set $qs (f64.div (f64.const 1) (f64.mul (local.get $ss) (local.get $s1s))))
        (local.set $p1s (f64.mul (local.get $qs) (local.get $s1s)))
        (local.set $cost (f64.add (local.get $cost) (f64.mul (f64.mul (local.get $zs) (local.get $qs)) (local.get $ss))))
        (f64.store (i32.add (local.get $d1) (local.get $i)) (local.get $p1s))
        (local.set $ws (if (result f64) (local.get $irls) (then (local.get $p1s))
          (else (f64.mul (f64.mul (local.get $p1s) (local.get $p1s)) (local.get $p1s)))))
        (f64.store (i32.add (local.get $w) (local.get $i)) (f64.max (local.get $ws) (f64.const 0x1p-52)))))
    (local.get $cost))

  ;; y += d·x, i < m
  (func (export "axpy") (param $y i32) (param $x i32) (param $m i32) (param $d f64)
    (local $i i32) (local $end i32) (local $dv v128) (local $o i32)
    (local.set $dv (f64x2.splat (local.get $d)))
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $o (i32.add (local.get $y) (local.get $i)))
        (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o))
          (f64x2.mul (local.get $dv) (v128.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br_if $v (i32.lt_u (local.get $i) (local.get $end)))))
    (if (i32.and (local.get $m) (i32.const 1))
      (then
        (local.set $o (i32.add (local.get $y) (local.get $i)))
        (f64.store (local.get $o) (f64.add (f64.load (local.get $o))
          (f64.mul (local.get $d) (f64.load (i32.add (local.get $x) (local.get $i)))))))))
)
