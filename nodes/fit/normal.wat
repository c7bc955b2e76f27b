;; Normal equations of a small dense least-squares step (see trust-region.ts): with the Jacobian J
;; stored column by column (column a at J + a·m·8 bytes, m float64 each),
;;   wr = d1 ∘ r,   g_a = J_aᵀ wr,   H_ab = H_ba = Σᵢ wᵢ J_ai J_bi   (b ≤ a),
;; H row-major p×p, g length p. wc (m float64) is scratch for w ∘ J_a. Dot products in f64x2 with
;; two accumulators (4 doubles per step), the odd tail scalar; unaligned loads are fine in WASM.
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

  ;; x·y0 and x·y1 in one pass (x loaded once), stored at o0 and o0t, o1 and o1t (H and its transpose)
  (func $dot2 (param $x i32) (param $y0 i32) (param $y1 i32) (param $m i32)
    (param $o0 i32) (param $o0t i32) (param $o1 i32) (param $o1t i32)
    (local $i i32) (local $end i32) (local $xv v128) (local $s0 v128) (local $s1 v128) (local $a f64) (local $b f64) (local $xs f64)
    (local.set $end (i32.shl (i32.and (local.get $m) (i32.const -2)) (i32.const 3)))
    (local.set $s0 (v128.const f64x2 0 0))
    (local.set $s1 (v128.const f64x2 0 0))
    (block $vdone
      (br_if $vdone (i32.eqz (local.get $end)))
      (loop $v
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $i))))
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
        (local.set $xs (f64.load (i32.add (local.get $x) (local.get $i))))
        (local.set $a (f64.add (local.get $a) (f64.mul (local.get $xs) (f64.load (i32.add (local.get $y0) (local.get $i))))))
        (local.set $b (f64.add (local.get $b) (f64.mul (local.get $xs) (f64.load (i32.add (local.get $y1) (local.get $i))))))))
    (f64.store (local.get $o0) (local.get $a))
    (f64.store (local.get $o0t) (local.get $a))
    (f64.store (local.get $o1) (local.get $b))
    (f64.store (local.get $o1t) (local.get $b)))

  ;; out[i] = x[i]·y[i], i < m (byte addresses)
  (func $mul (param $out i32) (param $x i32) (param $y i32) (param $m i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (block $done
      (br_if $done (i32.eqz (local.get $end)))
      (loop $l
        (f64.store (i32.add (local.get $out) (local.get $i))
          (f64.mul (f64.load (i32.add (local.get $x) (local.get $i)))
                   (f64.load (i32.add (local.get $y) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $end))))))

  (func (export "normal")
    (param $J i32) (param $r i32) (param $d1 i32) (param $w i32) (param $wr i32) (param $wc i32)
    (param $H i32) (param $g i32) (param $m i32) (param $p i32)
    (local $a i32) (local $b i32) (local $oa i32) (local $mb i32) (local $h f64)
    (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
    (call $mul (local.get $wr) (local.get $d1) (local.get $r) (local.get $m))
    (block $adone
      (br_if $adone (i32.eqz (local.get $p)))
      (loop $la
        (local.set $oa (i32.add (local.get $J) (i32.mul (local.get $a) (local.get $mb))))
        (f64.store (i32.add (local.get $g) (i32.shl (local.get $a) (i32.const 3)))
          (call $dot (local.get $oa) (local.get $wr) (local.get $m)))
        (call $mul (local.get $wc) (local.get $w) (local.get $oa) (local.get $m))
        ;; H row a, two columns b, b+1 per pass over wc, then the odd one
        (local.set $b (i32.const 0))
        (block $pairs_done
          (loop $lb
            (br_if $pairs_done (i32.gt_u (i32.add (local.get $b) (i32.const 1)) (local.get $a)))
            (call $dot2 (local.get $wc)
              (i32.add (local.get $J) (i32.mul (local.get $b) (local.get $mb)))
              (i32.add (local.get $J) (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $mb)))
              (local.get $m)
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $p)) (local.get $b)) (i32.const 3)))
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $p)) (local.get $a)) (i32.const 3)))
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $p)) (i32.add (local.get $b) (i32.const 1))) (i32.const 3)))
              (i32.add (local.get $H) (i32.shl (i32.add (i32.mul (i32.add (local.get $b) (i32.const 1)) (local.get $p)) (local.get $a)) (i32.const 3))))
            (local.set $b (i32.add (local.get $b) (i32.const 2)))
            (br $lb)))
        (if (i32.le_u (local.get $b) (local.get $a))
          (then
            (local.set $h (call $dot (local.get $wc)
              (i32.add (local.get $J) (i32.mul (local.get $b) (local.get $mb))) (local.get $m)))
            (f64.store (i32.add (local.get $H)
              (i32.shl (i32.add (i32.mul (local.get $a) (local.get $p)) (local.get $b)) (i32.const 3))) (local.get $h))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br_if $la (i32.lt_u (local.get $a) (local.get $p)))))))
