;; Row-block kernel of NMF-HALS and of the randomized SVD behind its NNDSVDa start (see hals-kernel.mjs
;; for the memory layout). One call handles one tile of rows of X (float32, rows of n4 = n rounded up
;; to 4, zero-padded) against a set of kp "probe" rows P (float32, kp = k rounded up to 4):
;;   per row i:  y = Xᵢ·Pᵀ                     (f32x4 products, f32 partial sums flushed to f64 every
;;                                              64 elements so the dot is good to ~1e-7 relative)
;;               flags&1: coordinate descent on Wᵢ with y = (XHᵀ)ᵢ and HHᵀ (scikit-learn's cd order),
;;                        else Wᵢ := y
;;               flags&2: A += Wᵢᵀ·Xᵢ             (float64, the tile's partial WᵀX; done per sub-tile of
;;                                              32 rows, after their Wᵢ, while they are in cache)
;;               G += Wᵢᵀ·Wᵢ (lower triangle)     (float64, the tile's partial WᵀW)
;; A and G are zeroed first: each tile writes its own partials, which the caller adds in tile order,
;; so the totals do not depend on how tiles are split across threads.
;; Blocked layouts (4 components interleaved per 4 columns, so every load has a static offset):
;;   P: group g = t>>2, column block jb = j>>2 → f32 at ((g·n4/4 + jb)·4 + (t&3))·4 + (j&3)
;;   A: the same index, in f64
(module
  (memory (export "memory") 1)

  (func $pass (export "pass")
    (param $flags i32) (param $x i32) (param $w i32) (param $rows i32) (param $n4 i32)
    (param $k i32) (param $kp i32) (param $p i32) (param $hht i32) (param $y i32)
    (param $a i32) (param $g i32) (result f64)
    (local $viol f64) (local $wt f64)
    (local $i i32) (local $xend i32) (local $grp i32) (local $pp i32) (local $xp i32) (local $cend i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $xv v128) (local $xl v128) (local $xhi v128)
    (local $c0 v128)
    (local $t i32) (local $r i32) (local $hess f64) (local $gr f64) (local $v f64) (local $wa f64)
    (local $ap i32) (local $n4b i32) (local $wk i32) (local $col i32) (local $wstride i32)
    (local $sx i32) (local $sw i32) (local $send i32) (local $scount i32)

    (local.set $n4b (i32.shl (local.get $n4) (i32.const 2)))
    ;; zero the tile partials
    (local.set $ap (local.get $a))
    (local.set $cend (i32.add (local.get $a) (i32.shl (i32.mul (local.get $kp) (local.get $n4)) (i32.const 3))))
    (loop $za
      (v128.store (local.get $ap) (v128.const i64x2 0 0))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (br_if $za (i32.lt_u (local.get $ap) (local.get $cend))))
    (local.set $t (i32.const 0))
    (loop $zg
      (f64.store (i32.add (local.get $g) (i32.shl (local.get $t) (i32.const 3))) (f64.const 0))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $zg (i32.lt_u (local.get $t) (i32.mul (local.get $k) (local.get $k)))))

    (local.set $i (i32.const 0))
    (local.set $wstride (i32.shl (local.get $kp) (i32.const 3)))
    (block $rows_done
      (br_if $rows_done (i32.eqz (local.get $rows)))
      (loop $subtile
      ;; sub-tiles of 32 rows: y and Wᵢ row by row, then A from the whole sub-tile
      (local.set $sx (local.get $x))
      (local.set $sw (local.get $w))
      (local.set $send (i32.add (local.get $i) (i32.const 32)))
      (if (i32.gt_u (local.get $send) (local.get $rows)) (then (local.set $send (local.get $rows))))
      (local.set $scount (i32.sub (local.get $send) (local.get $i)))
      (loop $row
        (local.set $xend (i32.add (local.get $x) (local.get $n4b)))

        ;; ---- y = Xᵢ·Pᵀ, four probes at a time
        (local.set $grp (i32.const 0))
        (local.set $pp (local.get $p))
        (loop $ygroup
          (local.set $a0 (v128.const i64x2 0 0))
          (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0))
          (local.set $a3 (v128.const i64x2 0 0))
          (local.set $xp (local.get $x))
          (loop $chunk
            ;; 64 columns (256 bytes of X) per f32 partial sum
            (local.set $cend (i32.add (local.get $xp) (i32.const 256)))
            (if (i32.gt_u (local.get $cend) (local.get $xend)) (then (local.set $cend (local.get $xend))))
            (local.set $s0 (v128.const i64x2 0 0))
            (local.set $s1 (v128.const i64x2 0 0))
            (local.set $s2 (v128.const i64x2 0 0))
            (local.set $s3 (v128.const i64x2 0 0))
            (loop $dot
              (local.set $xv (v128.load (local.get $xp)))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $xv) (v128.load offset=0 (local.get $pp)))))
              (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $xv) (v128.load offset=16 (local.get $pp)))))
              (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $xv) (v128.load offset=32 (local.get $pp)))))
              (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $xv) (v128.load offset=48 (local.get $pp)))))
              (local.set $pp (i32.add (local.get $pp) (i32.const 64)))
              (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
              (br_if $dot (i32.lt_u (local.get $xp) (local.get $cend))))
            ;; flush: all four f32 lanes into the two f64 lanes
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.add (f64x2.promote_low_f32x4 (local.get $s0))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s0) (local.get $s0))))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.add (f64x2.promote_low_f32x4 (local.get $s1))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s1) (local.get $s1))))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.add (f64x2.promote_low_f32x4 (local.get $s2))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s2) (local.get $s2))))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.add (f64x2.promote_low_f32x4 (local.get $s3))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $s3) (local.get $s3))))))
            (br_if $chunk (i32.lt_u (local.get $xp) (local.get $xend))))
          (local.set $ap (i32.add (local.get $y) (i32.shl (local.get $grp) (i32.const 3))))
          (f64.store offset=0 (local.get $ap) (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
          (f64.store offset=8 (local.get $ap) (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
          (f64.store offset=16 (local.get $ap) (f64.add (f64x2.extract_lane 0 (local.get $a2)) (f64x2.extract_lane 1 (local.get $a2))))
          (f64.store offset=24 (local.get $ap) (f64.add (f64x2.extract_lane 0 (local.get $a3)) (f64x2.extract_lane 1 (local.get $a3))))
          (local.set $grp (i32.add (local.get $grp) (i32.const 4)))
          (br_if $ygroup (i32.lt_u (local.get $grp) (local.get $kp))))

        ;; ---- Wᵢ
        (if (i32.and (local.get $flags) (i32.const 1))
          (then
;; coordinate descent, components in order, each seeing the ones already updated:
            ;; grad = (Wᵢ HHᵀ)ₜ − yₜ ; Wᵢₜ ← max(0, Wᵢₜ − grad / HHᵀₜₜ). Before each update the projected
            ;; gradient (grad, or min(0, grad) where Wᵢₜ = 0) goes into the violation sum, scikit-learn's
            ;; stopping measure (_update_cdnmf_fast), also where HHᵀₜₜ = 0.
            (local.set $t (i32.const 0))
            (loop $cd
              (local.set $hess (f64.load (i32.add (local.get $hht) (i32.shl (i32.mul (local.get $t) (i32.add (local.get $k) (i32.const 1))) (i32.const 3)))))
              (local.set $gr (f64.neg (f64.load (i32.add (local.get $y) (i32.shl (local.get $t) (i32.const 3))))))
              (local.set $r (i32.const 0))
              (loop $dotr
                (local.set $gr (f64.add (local.get $gr)
                  (f64.mul (f64.load (i32.add (local.get $hht) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $k)) (local.get $r)) (i32.const 3))))
                           (f64.load (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 3)))))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $dotr (i32.lt_u (local.get $r) (local.get $k))))
              (local.set $ap (i32.add (local.get $w) (i32.shl (local.get $t) (i32.const 3))))
              (local.set $wt (f64.load (local.get $ap)))
              (local.set $viol (f64.add (local.get $viol) (f64.abs
                (select (f64.min (local.get $gr) (f64.const 0)) (local.get $gr) (f64.eq (local.get $wt) (f64.const 0))))))
              (if (f64.ne (local.get $hess) (f64.const 0))
                (then
                  (local.set $v (f64.sub (local.get $wt) (f64.div (local.get $gr) (local.get $hess))))
                  ;; v > 0 ? v : 0 (NaN → 0)
                  (f64.store (local.get $ap) (select (local.get $v) (f64.const 0) (f64.gt (local.get $v) (f64.const 0))))))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br_if $cd (i32.lt_u (local.get $t) (local.get $k)))))
          (else
            (local.set $t (i32.const 0))
            (loop $cp
              (local.set $ap (i32.shl (local.get $t) (i32.const 3)))
              (f64.store (i32.add (local.get $w) (local.get $ap)) (f64.load (i32.add (local.get $y) (local.get $ap))))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br_if $cp (i32.lt_u (local.get $t) (local.get $kp))))))

        ;; ---- G += Wᵢᵀ Wᵢ (lower triangle)
        (local.set $t (i32.const 0))
        (loop $ga
          (local.set $wa (f64.load (i32.add (local.get $w) (i32.shl (local.get $t) (i32.const 3)))))
          (if (f64.ne (local.get $wa) (f64.const 0))
            (then
              (local.set $r (i32.const 0))
              (loop $gb
                (local.set $ap (i32.add (local.get $g) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $k)) (local.get $r)) (i32.const 3))))
                (f64.store (local.get $ap) (f64.add (f64.load (local.get $ap))
                  (f64.mul (local.get $wa) (f64.load (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 3)))))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $gb (i32.le_u (local.get $r) (local.get $t))))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $ga (i32.lt_u (local.get $t) (local.get $k))))

        (local.set $x (local.get $xend))
        (local.set $w (i32.add (local.get $w) (i32.shl (local.get $kp) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $row (i32.lt_u (local.get $i) (local.get $send))))

      ;; ---- A += Wᵀ X over the sub-tile: per group of 4 components and block of 4 columns the
      ;; 8 f64x2 sums stay in registers while the rows stream by (the sub-tile is still in cache).
      ;; Rows are added in order, so each sum is the same as row by row.
      (if (i32.and (local.get $flags) (i32.const 2))
        (then
          (local.set $grp (i32.const 0))
          (local.set $ap (local.get $a))
          (loop $agroup
            (local.set $col (i32.const 0))
            (loop $ablock
              (local.set $a0 (v128.load offset=0 (local.get $ap)))
              (local.set $a1 (v128.load offset=16 (local.get $ap)))
              (local.set $a2 (v128.load offset=32 (local.get $ap)))
              (local.set $a3 (v128.load offset=48 (local.get $ap)))
              (local.set $s0 (v128.load offset=64 (local.get $ap)))
              (local.set $s1 (v128.load offset=80 (local.get $ap)))
              (local.set $s2 (v128.load offset=96 (local.get $ap)))
              (local.set $s3 (v128.load offset=112 (local.get $ap)))
              (local.set $xp (i32.add (local.get $sx) (local.get $col)))
              (local.set $wk (i32.add (local.get $sw) (i32.shl (local.get $grp) (i32.const 3))))
              (local.set $r (local.get $scount))
              (loop $arow
                (local.set $xv (v128.load (local.get $xp)))
                (local.set $xl (f64x2.promote_low_f32x4 (local.get $xv)))
                (local.set $xhi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xv) (local.get $xv))))
                (local.set $c0 (v128.load64_splat offset=0 (local.get $wk)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c0) (local.get $xl))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c0) (local.get $xhi))))
                (local.set $c0 (v128.load64_splat offset=8 (local.get $wk)))
                (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $c0) (local.get $xl))))
                (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $c0) (local.get $xhi))))
                (local.set $c0 (v128.load64_splat offset=16 (local.get $wk)))
                (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $c0) (local.get $xl))))
                (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $c0) (local.get $xhi))))
                (local.set $c0 (v128.load64_splat offset=24 (local.get $wk)))
                (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $c0) (local.get $xl))))
                (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $c0) (local.get $xhi))))
                (local.set $xp (i32.add (local.get $xp) (local.get $n4b)))
                (local.set $wk (i32.add (local.get $wk) (local.get $wstride)))
                (local.set $r (i32.sub (local.get $r) (i32.const 1)))
                (br_if $arow (local.get $r)))
              (v128.store offset=0 (local.get $ap) (local.get $a0))
              (v128.store offset=16 (local.get $ap) (local.get $a1))
              (v128.store offset=32 (local.get $ap) (local.get $a2))
              (v128.store offset=48 (local.get $ap) (local.get $a3))
              (v128.store offset=64 (local.get $ap) (local.get $s0))
              (v128.store offset=80 (local.get $ap) (local.get $s1))
              (v128.store offset=96 (local.get $ap) (local.get $s2))
              (v128.store offset=112 (local.get $ap) (local.get $s3))
              (local.set $ap (i32.add (local.get $ap) (i32.const 128)))
              (local.set $col (i32.add (local.get $col) (i32.const 16)))
              (br_if $ablock (i32.lt_u (local.get $col) (local.get $n4b))))
            (local.set $grp (i32.add (local.get $grp) (i32.const 4)))
            (br_if $agroup (i32.lt_u (local.get $grp) (local.get $kp))))))
      (br_if $subtile (i32.lt_u (local.get $i) (local.get $rows)))))
    (local.get $viol))
)
