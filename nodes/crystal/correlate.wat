;; Template correlation over in-plane angle for every template of a library (matcher.ts is the
;; host). Per template t: acc[p] = Σ_s w_s · F[off_s + p] for p = 0 … half4−1 (f32x4), then the
;; largest acc and its p (lowest p on ties) go to best[t], bestPhi[t]. F holds each ring's folded
;; 180° twice, so lanes past `half` repeat earlier angles (the host maps p ≥ half back); F carries
;; 4 floats of padding after its last row. Addresses are byte offsets into this module's memory.
(module
  (memory (export "memory") 1)
  (func (export "scan")
    (param $T i32) (param $half4 i32) (param $F i32) (param $start i32) (param $off i32) (param $wt i32)
    (param $acc i32) (param $best i32) (param $bestPhi i32)
    (local $t i32) (local $s i32) (local $e i32) (local $p i32) (local $end i32) (local $src i32) (local $a i32)
    (local $w v128) (local $x v128) (local $m v128) (local $vmax v128) (local $vidx v128) (local $cur v128)
    (local $bv f32) (local $bi i32) (local $lv f32) (local $li i32)
    (local.set $end (i32.shl (local.get $half4) (i32.const 2)))
    (block $done
      (loop $templates
        (br_if $done (i32.ge_u (local.get $t) (local.get $T)))
        ;; acc = 0
        (local.set $p (i32.const 0))
        (loop $zero
          (v128.store (i32.add (local.get $acc) (local.get $p)) (v128.const f32x4 0 0 0 0))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $zero (i32.lt_u (local.get $p) (local.get $end))))
        ;; spots s = start[t] … start[t+1]−1
        (local.set $s (i32.load (i32.add (local.get $start) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $e (i32.load (i32.add (local.get $start) (i32.shl (i32.add (local.get $t) (i32.const 1)) (i32.const 2)))))
        (block $spotsDone
          (loop $spots
            (br_if $spotsDone (i32.ge_u (local.get $s) (local.get $e)))
            (local.set $w (f32x4.splat (f32.load (i32.add (local.get $wt) (i32.shl (local.get $s) (i32.const 2))))))
            (local.set $src (i32.add (local.get $F)
              (i32.shl (i32.load (i32.add (local.get $off) (i32.shl (local.get $s) (i32.const 2)))) (i32.const 2))))
            (local.set $p (i32.const 0))
            (loop $lanes
              (local.set $a (i32.add (local.get $acc) (local.get $p)))
              (v128.store (local.get $a)
                (f32x4.add (v128.load (local.get $a))
                  (f32x4.mul (local.get $w) (v128.load (i32.add (local.get $src) (local.get $p))))))
              (local.set $p (i32.add (local.get $p) (i32.const 16)))
              (br_if $lanes (i32.lt_u (local.get $p) (local.get $end))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $spots)))
        ;; argmax over lanes: per-lane running max and its index, then the 4 lanes
        (local.set $vmax (f32x4.splat (f32.const -inf)))
        (local.set $cur (v128.const i32x4 0 1 2 3))
        (local.set $vidx (local.get $cur))
        (local.set $p (i32.const 0))
        (loop $scanMax
          (local.set $x (v128.load (i32.add (local.get $acc) (local.get $p))))
          (local.set $m (f32x4.gt (local.get $x) (local.get $vmax)))
          (local.set $vmax (v128.bitselect (local.get $x) (local.get $vmax) (local.get $m)))
          (local.set $vidx (v128.bitselect (local.get $cur) (local.get $vidx) (local.get $m)))
          (local.set $cur (i32x4.add (local.get $cur) (v128.const i32x4 4 4 4 4)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $scanMax (i32.lt_u (local.get $p) (local.get $end))))
        (local.set $bv (f32x4.extract_lane 0 (local.get $vmax)))
        (local.set $bi (i32x4.extract_lane 0 (local.get $vidx)))
        (local.set $lv (f32x4.extract_lane 1 (local.get $vmax)))
        (local.set $li (i32x4.extract_lane 1 (local.get $vidx)))
        (if (i32.or (f32.gt (local.get $lv) (local.get $bv))
                    (i32.and (f32.eq (local.get $lv) (local.get $bv)) (i32.lt_s (local.get $li) (local.get $bi))))
          (then (local.set $bv (local.get $lv)) (local.set $bi (local.get $li))))
        (local.set $lv (f32x4.extract_lane 2 (local.get $vmax)))
        (local.set $li (i32x4.extract_lane 2 (local.get $vidx)))
        (if (i32.or (f32.gt (local.get $lv) (local.get $bv))
                    (i32.and (f32.eq (local.get $lv) (local.get $bv)) (i32.lt_s (local.get $li) (local.get $bi))))
          (then (local.set $bv (local.get $lv)) (local.set $bi (local.get $li))))
        (local.set $lv (f32x4.extract_lane 3 (local.get $vmax)))
        (local.set $li (i32x4.extract_lane 3 (local.get $vidx)))
        (if (i32.or (f32.gt (local.get $lv) (local.get $bv))
                    (i32.and (f32.eq (local.get $lv) (local.get $bv)) (i32.lt_s (local.get $li) (local.get $bi))))
          (then (local.set $bv (local.get $lv)) (local.set $bi (local.get $li))))
        (f32.store (i32.add (local.get $best) (i32.shl (local.get $t) (i32.const 2))) (local.get $bv))
        (i32.store (i32.add (local.get $bestPhi) (i32.shl (local.get $t) (i32.const 2))) (local.get $bi))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $templates))))
)
