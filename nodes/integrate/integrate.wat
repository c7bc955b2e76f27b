;; Azimuthal integration of one frame with its mask (see wasm-integrator.ts for the host side and
;; apply-table.ts for what the outputs mean). The host lays out linear memory once per geometry and
;; sets the address globals; per frame it writes the frame (u8 into $frame8, or f64 into $val) and
;; the packed mask, calls bbox() or table(), and reads I, sigma, count (f32) at $out.
;;
;; bbox: the prefix-sum form of bbox-integrator.ts: every kept pixel adds two kinks, each an f64x2
;; pair update (Σs, Σs·x) and (Σs·v, Σs·x·v) into its slot; accumulators stay f64 because
;; C(b) = b·ΣA − ΣB cancels. table: a gather over the bin-major table (splits none and full).
;; Masked pixels: their value is zeroed in the copy (so the value passes need no mask test) and
;; their weight leaves Σu (bbox: as weight kinks in $accM; table: their own table entries).
(module
  (memory (export "memory") 1)
  (global $w (export "w") (mut i32) (i32.const 0))                   ;; detector columns
  (global $pixels (export "pixels") (mut i32) (i32.const 0))
  (global $bins (export "bins") (mut i32) (i32.const 0))
  (global $bbox (export "isBbox") (mut i32) (i32.const 0))           ;; 1: bbox layout, 0: table
  (global $val (export "val") (mut i32) (i32.const 0))               ;; f64 per pixel
  (global $frame8 (export "frame8") (mut i32) (i32.const 0))         ;; u8 per pixel, padded to 16
  (global $mask (export "mask") (mut i32) (i32.const 0))             ;; packed bits, padded to 8
  (global $maskWords (export "maskWords") (mut i32) (i32.const 0))   ;; i64 words of $mask
  (global $part (export "part") (mut i32) (i32.const 0))             ;; bits like $mask: pixels that take part
  (global $out (export "out") (mut i32) (i32.const 0))               ;; f32 rows I, sigma, count
  (global $outRow (export "outRow") (mut i32) (i32.const 0))         ;; bytes from one output row to the next
  (global $su (export "su") (mut i32) (i32.const 0))                 ;; f64 per bin: Σu, Σu·v, Σu·v²
  (global $suv (export "suv") (mut i32) (i32.const 0))               ;; (each padded to an even count)
  (global $suvv (export "suvv") (mut i32) (i32.const 0))
  (global $fullW (export "fullW") (mut i32) (i32.const 0))           ;; f64 Σw per bin (static mask only)
  (global $wRatio (export "wRatio") (mut i32) (i32.const 0))         ;; f64 Σw²/Σw per bin
  ;; bbox
  (global $rows (export "rows") (mut i32) (i32.const 0))
  (global $rowTab (export "rowTab") (mut i32) (i32.const 0))         ;; per row i32: x0, x1, first kink, 0
  (global $kinkOf (export "kinkOf") (mut i32) (i32.const 0))         ;; per pixel i32: its kink, −1 if none
  (global $coef (export "coef") (mut i32) (i32.const 0))             ;; per kink f64x2: 1/span, t_lo/span
  (global $slots (export "slots") (mut i32) (i32.const 0))           ;; per kink i32: address of lo slot, hi slot
  (global $acc (export "acc") (mut i32) (i32.const 0))               ;; 4 banks × (bins + 2) slots × 4 f64
  (global $bankStride (export "bankStride") (mut i32) (i32.const 0))
  (global $accM (export "accM") (mut i32) (i32.const 0))             ;; (bins + 2) slots × 2 f64
  ;; table
  (global $binStart (export "binStart") (mut i32) (i32.const 0))     ;; i32[bins + 1]
  (global $binPix (export "binPix") (mut i32) (i32.const 0))         ;; i32 address of the pixel's value
  (global $binW (export "binW") (mut i32) (i32.const 0))             ;; f32
  (global $pixStart (export "pixStart") (mut i32) (i32.const 0))     ;; i32[pixels + 1]
  (global $pixBin (export "pixBin") (mut i32) (i32.const 0))         ;; i32 address of the bin's Σu
  (global $pixW (export "pixW") (mut i32) (i32.const 0))             ;; f32

  ;; Host-visible entry points: one frame each (the host copies frame and mask in before the call).
  (func (export "bbox") (param $hasMask i32) (param $isU8 i32)
    (if (local.get $hasMask) (then (call $masked (local.get $isU8))))
    (if (local.get $isU8) (then (call $kinksU8)) (else (call $kinks)))
    (call $prefix))

  (func (export "table") (param $hasMask i32) (param $isU8 i32)
    (memory.copy (global.get $su) (global.get $fullW) (i32.shl (global.get $bins) (i32.const 3)))
    (if (local.get $isU8) (then (call $widen)))
    (if (local.get $hasMask) (then (call $masked (i32.const 0))))
    (call $gather))

  ;; u8 frame → f64 values, 16 pixels a step (both regions are padded to a multiple of 16 pixels).
  (func $widen
    (local $s i32) (local $d i32) (local $end i32) (local $x v128) (local $h v128) (local $q v128)
    (local.set $s (global.get $frame8))
    (local.set $d (global.get $val))
    (local.set $end (i32.add (global.get $frame8) (global.get $pixels)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $x (v128.load (local.get $s)))
        (local.set $h (i16x8.extend_low_i8x16_u (local.get $x)))
        (local.set $q (i32x4.extend_low_i16x8_u (local.get $h)))
        (v128.store offset=0 (local.get $d) (f64x2.convert_low_i32x4_s (local.get $q)))
        (v128.store offset=16 (local.get $d) (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q))))
        (local.set $q (i32x4.extend_high_i16x8_u (local.get $h)))
        (v128.store offset=32 (local.get $d) (f64x2.convert_low_i32x4_s (local.get $q)))
        (v128.store offset=48 (local.get $d) (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q))))
        (local.set $h (i16x8.extend_high_i8x16_u (local.get $x)))
        (local.set $q (i32x4.extend_low_i16x8_u (local.get $h)))
        (v128.store offset=64 (local.get $d) (f64x2.convert_low_i32x4_s (local.get $q)))
        (v128.store offset=80 (local.get $d) (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q))))
        (local.set $q (i32x4.extend_high_i16x8_u (local.get $h)))
        (v128.store offset=96 (local.get $d) (f64x2.convert_low_i32x4_s (local.get $q)))
        (v128.store offset=112 (local.get $d) (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q))))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 128)))
        (br $next))))

  ;; Every masked pixel of this frame (set bits, 64 at a time): value → 0 (in the u8 copy or in the
  ;; f64 values), weight out of Σu.
  (func $masked (param $inU8 i32)
    (local $a i32) (local $end i32) (local $bits i64) (local $p i32)
    (local $i i32) (local $k i32) (local $bank i32) (local $m i32) (local $c v128)
    (local.set $a (global.get $mask))
    (local.set $end (i32.add (global.get $mask) (i32.shl (global.get $maskWords) (i32.const 3))))
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        ;; Only pixels that take part need work (the edge and the corners of the detector usually do not).
        (local.set $bits (i64.and (i64.load (local.get $a))
          (i64.load (i32.add (global.get $part) (i32.sub (local.get $a) (global.get $mask))))))
        (block $wdone
          (loop $bit
            (br_if $wdone (i64.eqz (local.get $bits)))
            (local.set $p (i32.add (i32.shl (i32.sub (local.get $a) (global.get $mask)) (i32.const 3))
                                   (i32.wrap_i64 (i64.ctz (local.get $bits)))))
            (local.set $bits (i64.and (local.get $bits) (i64.sub (local.get $bits) (i64.const 1))))
            (if (i32.lt_u (local.get $p) (global.get $pixels))
              (then
                (if (local.get $inU8)
                  (then (i32.store8 (i32.add (global.get $frame8) (local.get $p)) (i32.const 0)))
                  (else (f64.store (i32.add (global.get $val) (i32.shl (local.get $p) (i32.const 3))) (f64.const 0))))
                (if (global.get $bbox)
                  (then
                    ;; Its weight kinks (slope 1/span at t_lo, −1/span at t_hi) into $accM.
                    (local.set $i (i32.load (i32.add (global.get $kinkOf) (i32.shl (local.get $p) (i32.const 2)))))
                    (if (i32.ge_s (local.get $i) (i32.const 0))
                      (then
                        (local.set $c (v128.load (i32.add (global.get $coef) (i32.shl (local.get $i) (i32.const 4)))))
                        (local.set $k (i32.add (global.get $slots) (i32.shl (local.get $i) (i32.const 3))))
                        ;; The kink's bank (i mod 4) is part of its slot address; $accM is one bank of half-size slots.
                        (local.set $bank (i32.add (global.get $acc) (i32.mul (i32.and (local.get $i) (i32.const 3)) (global.get $bankStride))))
                        (local.set $m (i32.add (global.get $accM) (i32.shr_u (i32.sub (i32.load (local.get $k)) (local.get $bank)) (i32.const 1))))
                        (v128.store (local.get $m) (f64x2.add (v128.load (local.get $m)) (local.get $c)))
                        (local.set $m (i32.add (global.get $accM) (i32.shr_u (i32.sub (i32.load offset=4 (local.get $k)) (local.get $bank)) (i32.const 1))))
                        (v128.store (local.get $m) (f64x2.sub (v128.load (local.get $m)) (f64x2.add (local.get $c) (v128.const f64x2 0 1)))))))
                  (else (call $dropEntries (local.get $p))))))
            (br $bit)))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (br $word))))

  ;; table: pixel p's entries leave Σu of their bins.
  (func $dropEntries (param $p i32)
    (local $k i32) (local $e i32) (local $a i32)
    (local.set $a (i32.add (global.get $pixStart) (i32.shl (local.get $p) (i32.const 2))))
    (local.set $k (i32.load (local.get $a)))
    (local.set $e (i32.load offset=4 (local.get $a)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $e)))
        (local.set $a (i32.load (i32.add (global.get $pixBin) (i32.shl (local.get $k) (i32.const 2)))))
        (f64.store (local.get $a)
          (f64.sub (f64.load (local.get $a)) (f64.promote_f32 (f32.load (i32.add (global.get $pixW) (i32.shl (local.get $k) (i32.const 2)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; bbox value pass: per kept pixel of each row's run, v·(1/span, t_lo/span) and v times that into
  ;; the lo slot, minus the same with t_hi/span = t_lo/span + 1 at the hi slot.
  (func $kinks
    (local $r i32) (local $rEnd i32) (local $yw i32) (local $pv i32) (local $pvEnd i32) (local $pc i32) (local $ps i32)
    (local $vv v128) (local $t v128) (local $a i32)
    (local.set $r (global.get $rowTab))
    (local.set $rEnd (i32.add (global.get $rowTab) (i32.shl (global.get $rows) (i32.const 4))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $pv (i32.add (global.get $val) (i32.shl (i32.add (local.get $yw) (i32.load (local.get $r))) (i32.const 3))))
        (local.set $pvEnd (i32.add (global.get $val) (i32.shl (i32.add (local.get $yw) (i32.load offset=4 (local.get $r))) (i32.const 3))))
        (local.set $pc (i32.add (global.get $coef) (i32.shl (i32.load offset=8 (local.get $r)) (i32.const 4))))
        (local.set $ps (i32.add (global.get $slots) (i32.shl (i32.load offset=8 (local.get $r)) (i32.const 3))))
        (block $rdone
          (loop $px
            (br_if $rdone (i32.ge_u (local.get $pv) (local.get $pvEnd)))
            (local.set $vv (f64x2.splat (f64.load (local.get $pv))))
            (local.set $t (f64x2.mul (v128.load (local.get $pc)) (local.get $vv)))
            (local.set $a (i32.load (local.get $ps)))
            (v128.store offset=0 (local.get $a) (f64x2.add (v128.load offset=0 (local.get $a)) (local.get $t)))
            (v128.store offset=16 (local.get $a) (f64x2.add (v128.load offset=16 (local.get $a)) (f64x2.mul (local.get $t) (local.get $vv))))
            (local.set $t (f64x2.add (local.get $t) (v128.and (local.get $vv) (v128.const i64x2 0 -1))))
            (local.set $a (i32.load offset=4 (local.get $ps)))
            (v128.store offset=0 (local.get $a) (f64x2.sub (v128.load offset=0 (local.get $a)) (local.get $t)))
            (v128.store offset=16 (local.get $a) (f64x2.sub (v128.load offset=16 (local.get $a)) (f64x2.mul (local.get $t) (local.get $vv))))
            (local.set $pv (i32.add (local.get $pv) (i32.const 8)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
            (local.set $ps (i32.add (local.get $ps) (i32.const 8)))
            (br $px)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (local.set $yw (i32.add (local.get $yw) (global.get $w)))
        (br $row))))

  ;; The same for uint8 frames, read from the u8 copy (1 byte a pixel instead of 8: less traffic).
  (func $kinksU8
    (local $r i32) (local $rEnd i32) (local $yw i32) (local $pv i32) (local $pvEnd i32) (local $pc i32) (local $ps i32)
    (local $vv v128) (local $t v128) (local $a i32)
    (local.set $r (global.get $rowTab))
    (local.set $rEnd (i32.add (global.get $rowTab) (i32.shl (global.get $rows) (i32.const 4))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $pv (i32.add (global.get $frame8) (i32.add (local.get $yw) (i32.load (local.get $r)))))
        (local.set $pvEnd (i32.add (global.get $frame8) (i32.add (local.get $yw) (i32.load offset=4 (local.get $r)))))
        (local.set $pc (i32.add (global.get $coef) (i32.shl (i32.load offset=8 (local.get $r)) (i32.const 4))))
        (local.set $ps (i32.add (global.get $slots) (i32.shl (i32.load offset=8 (local.get $r)) (i32.const 3))))
        (block $rdone
          (loop $px
            (br_if $rdone (i32.ge_u (local.get $pv) (local.get $pvEnd)))
            (local.set $vv (f64x2.splat (f64.convert_i32_u (i32.load8_u (local.get $pv)))))
            (local.set $t (f64x2.mul (v128.load (local.get $pc)) (local.get $vv)))
            (local.set $a (i32.load (local.get $ps)))
            (v128.store offset=0 (local.get $a) (f64x2.add (v128.load offset=0 (local.get $a)) (local.get $t)))
            (v128.store offset=16 (local.get $a) (f64x2.add (v128.load offset=16 (local.get $a)) (f64x2.mul (local.get $t) (local.get $vv))))
            (local.set $t (f64x2.add (local.get $t) (v128.and (local.get $vv) (v128.const i64x2 0 -1))))
            (local.set $a (i32.load offset=4 (local.get $ps)))
            (v128.store offset=0 (local.get $a) (f64x2.sub (v128.load offset=0 (local.get $a)) (local.get $t)))
            (v128.store offset=16 (local.get $a) (f64x2.sub (v128.load offset=16 (local.get $a)) (f64x2.mul (local.get $t) (local.get $vv))))
            (local.set $pv (i32.add (local.get $pv) (i32.const 1)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 16)))
            (local.set $ps (i32.add (local.get $ps) (i32.const 8)))
            (br $px)))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (local.set $yw (i32.add (local.get $yw) (global.get $w)))
        (br $row))))

  ;; bbox: C(b) at every bin edge from the slot sums (banks in order, then zeroed for the next
  ;; frame); bin b gets C(b + 1) − C(b); Σu is the full weight minus the masked weight kinks' share.
  (func $prefix
    (local $b i32) (local $a i32) (local $m i32) (local $o i32) (local $bf f64)
    (local $v0 v128) (local $v1 v128) (local $v2 v128)
    (local $c0 f64) (local $c1 f64) (local $c2 f64) (local $p0 f64) (local $p1 f64) (local $p2 f64)
    (local.set $a (global.get $acc))
    (local.set $m (global.get $accM))
    (block $done
      (loop $edge
        (local.set $v0 (f64x2.add (local.get $v0) (v128.load (local.get $m))))
        (v128.store (local.get $m) (v128.const i64x2 0 0))
        (local.set $v1 (f64x2.add (local.get $v1) (v128.load offset=0 (local.get $a))))
        (local.set $v2 (f64x2.add (local.get $v2) (v128.load offset=16 (local.get $a))))
        (v128.store offset=0 (local.get $a) (v128.const i64x2 0 0))
        (v128.store offset=16 (local.get $a) (v128.const i64x2 0 0))
        (local.set $a (i32.add (local.get $a) (global.get $bankStride)))
        (local.set $v1 (f64x2.add (local.get $v1) (v128.load offset=0 (local.get $a))))
        (local.set $v2 (f64x2.add (local.get $v2) (v128.load offset=16 (local.get $a))))
        (v128.store offset=0 (local.get $a) (v128.const i64x2 0 0))
        (v128.store offset=16 (local.get $a) (v128.const i64x2 0 0))
        (local.set $a (i32.add (local.get $a) (global.get $bankStride)))
        (local.set $v1 (f64x2.add (local.get $v1) (v128.load offset=0 (local.get $a))))
        (local.set $v2 (f64x2.add (local.get $v2) (v128.load offset=16 (local.get $a))))
        (v128.store offset=0 (local.get $a) (v128.const i64x2 0 0))
        (v128.store offset=16 (local.get $a) (v128.const i64x2 0 0))
        (local.set $a (i32.add (local.get $a) (global.get $bankStride)))
        (local.set $v1 (f64x2.add (local.get $v1) (v128.load offset=0 (local.get $a))))
        (local.set $v2 (f64x2.add (local.get $v2) (v128.load offset=16 (local.get $a))))
        (v128.store offset=0 (local.get $a) (v128.const i64x2 0 0))
        (v128.store offset=16 (local.get $a) (v128.const i64x2 0 0))
        (local.set $a (i32.sub (local.get $a) (i32.mul (global.get $bankStride) (i32.const 3))))
        (local.set $bf (f64.convert_i32_u (local.get $b)))
        (local.set $c0 (f64.sub (f64.mul (local.get $bf) (f64x2.extract_lane 0 (local.get $v0))) (f64x2.extract_lane 1 (local.get $v0))))
        (local.set $c1 (f64.sub (f64.mul (local.get $bf) (f64x2.extract_lane 0 (local.get $v1))) (f64x2.extract_lane 1 (local.get $v1))))
        (local.set $c2 (f64.sub (f64.mul (local.get $bf) (f64x2.extract_lane 0 (local.get $v2))) (f64x2.extract_lane 1 (local.get $v2))))
        (if (local.get $b)
          (then
            (local.set $o (i32.shl (i32.sub (local.get $b) (i32.const 1)) (i32.const 3)))
            (f64.store (i32.add (global.get $su) (local.get $o))
              (f64.sub (f64.load (i32.add (global.get $fullW) (local.get $o))) (f64.sub (local.get $c0) (local.get $p0))))
            (f64.store (i32.add (global.get $suv) (local.get $o)) (f64.sub (local.get $c1) (local.get $p1)))
            (f64.store (i32.add (global.get $suvv) (local.get $o)) (f64.sub (local.get $c2) (local.get $p2)))))
        (local.set $p0 (local.get $c0))
        (local.set $p1 (local.get $c1))
        (local.set $p2 (local.get $c2))
        (br_if $done (i32.eq (local.get $b) (global.get $bins)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (br $edge)))
    ;; The spare slot past the last edge (kinks beyond it) is never read: clear it all the same.
    (local.set $a (i32.add (local.get $a) (i32.const 32)))
    (call $clear (local.get $a))
    (call $clear (i32.add (local.get $a) (global.get $bankStride)))
    (call $clear (i32.add (local.get $a) (i32.shl (global.get $bankStride) (i32.const 1))))
    (call $clear (i32.add (local.get $a) (i32.mul (global.get $bankStride) (i32.const 3))))
    (v128.store (i32.add (local.get $m) (i32.const 16)) (v128.const i64x2 0 0))
    (call $finish))

  (func $clear (param $a i32)
    (v128.store offset=0 (local.get $a) (v128.const i64x2 0 0))
    (v128.store offset=16 (local.get $a) (v128.const i64x2 0 0)))

;; table: per bin Σw·v and Σw·v² over its entries (values of masked pixels are 0 already), entries
  ;; taken four, then two at a time into f64x2 partial sums (independent add chains), then one.
  (func $gather
    (local $b i32) (local $k i32) (local $e i32) (local $pp i32) (local $pw i32)
    (local $v v128) (local $wv v128) (local $s1 v128) (local $s2 v128) (local $t1 v128) (local $t2 v128) (local $x f64) (local $y f64)
    (local.set $e (i32.load (global.get $binStart)))
    (block $done
      (loop $bin
        (br_if $done (i32.ge_u (local.get $b) (global.get $bins)))
        (local.set $k (local.get $e))
        (local.set $e (i32.load (i32.add (global.get $binStart) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 2)))))
        (local.set $pp (i32.add (global.get $binPix) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $pw (i32.add (global.get $binW) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $t1 (v128.const i64x2 0 0))
        (local.set $t2 (v128.const i64x2 0 0))
        (block $qdone
          (loop $quad
            (br_if $qdone (i32.ge_s (i32.add (local.get $k) (i32.const 3)) (local.get $e)))
            (local.set $v (f64x2.replace_lane 1
              (f64x2.splat (f64.load (i32.load (local.get $pp))))
              (f64.load (i32.load offset=4 (local.get $pp)))))
            (local.set $wv (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $pw))) (local.get $v)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $wv)))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $wv) (local.get $v))))
            (local.set $v (f64x2.replace_lane 1
              (f64x2.splat (f64.load (i32.load offset=8 (local.get $pp))))
              (f64.load (i32.load offset=12 (local.get $pp)))))
            (local.set $wv (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $pw))) (local.get $v)))
            (local.set $t1 (f64x2.add (local.get $t1) (local.get $wv)))
            (local.set $t2 (f64x2.add (local.get $t2) (f64x2.mul (local.get $wv) (local.get $v))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 16)))
            (br $quad)))
        (local.set $s1 (f64x2.add (local.get $s1) (local.get $t1)))
        (local.set $s2 (f64x2.add (local.get $s2) (local.get $t2)))
        (block $pdone
          (loop $pair
            (br_if $pdone (i32.ge_s (i32.add (local.get $k) (i32.const 1)) (local.get $e)))
            (local.set $v (f64x2.replace_lane 1
              (f64x2.splat (f64.load (i32.load (local.get $pp))))
              (f64.load (i32.load offset=4 (local.get $pp)))))
            (local.set $wv (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $pw))) (local.get $v)))
            (local.set $s1 (f64x2.add (local.get $s1) (local.get $wv)))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $wv) (local.get $v))))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
            (local.set $pw (i32.add (local.get $pw) (i32.const 8)))
            (br $pair)))
        (local.set $x (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
        (local.set $y (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2))))
        ;; An odd entry left over.
        (if (i32.lt_s (local.get $k) (local.get $e))
          (then
            (local.set $v (f64x2.splat (f64.load (i32.load (local.get $pp)))))
            (local.set $wv (f64x2.mul (f64x2.splat (f64.promote_f32 (f32.load (local.get $pw)))) (local.get $v)))
            (local.set $x (f64.add (local.get $x) (f64x2.extract_lane 0 (local.get $wv))))
            (local.set $y (f64.add (local.get $y) (f64x2.extract_lane 0 (f64x2.mul (local.get $wv) (local.get $v)))))))
        (f64.store (i32.add (global.get $suv) (i32.shl (local.get $b) (i32.const 3))) (local.get $x))
        (f64.store (i32.add (global.get $suvv) (i32.shl (local.get $b) (i32.const 3))) (local.get $y))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bin)))
    (call $finish))

  ;; Every bin's outputs from Σu, Σu·v, Σu·v²: count, mean, standard error of the mean (Kish n_eff);
  ;; two bins a step (the sums and output rows are padded to even lengths).
  (func $finish
    (local $b i32) (local $o i32) (local $q i32) (local $s0 v128) (local $pos v128) (local $mean v128) (local $neff v128) (local $sig v128)
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $b) (global.get $bins)))
        (local.set $o (i32.shl (local.get $b) (i32.const 3)))
        (local.set $q (i32.add (global.get $out) (i32.shl (local.get $b) (i32.const 2))))
        ;; Subtraction leaves rounding dust where everything is masked.
        (local.set $s0 (v128.load (i32.add (global.get $su) (local.get $o))))
        (local.set $s0 (v128.and (local.get $s0) (f64x2.gt (local.get $s0) (v128.const f64x2 1e-9 1e-9))))
        (local.set $pos (f64x2.gt (local.get $s0) (v128.const f64x2 0 0)))
        (local.set $mean (f64x2.div (v128.load (i32.add (global.get $suv) (local.get $o))) (local.get $s0)))
        (local.set $neff (f64x2.div (local.get $s0) (v128.load (i32.add (global.get $wRatio) (local.get $o)))))
        (local.set $sig (f64x2.sqrt (f64x2.div
          (f64x2.max (v128.const f64x2 0 0)
            (f64x2.sub (f64x2.div (v128.load (i32.add (global.get $suvv) (local.get $o))) (local.get $s0)) (f64x2.mul (local.get $mean) (local.get $mean))))
          (f64x2.sub (local.get $neff) (v128.const f64x2 1 1)))))
        (v128.store64_lane 0 (local.get $q)
          (f32x4.demote_f64x2_zero (v128.bitselect (local.get $mean) (v128.const f64x2 nan nan) (local.get $pos))))
        (v128.store64_lane 0 (i32.add (local.get $q) (global.get $outRow))
          (f32x4.demote_f64x2_zero (v128.bitselect (local.get $sig) (v128.const f64x2 nan nan)
            (v128.and (local.get $pos) (f64x2.gt (local.get $neff) (v128.const f64x2 1 1))))))
        (v128.store64_lane 0 (i32.add (local.get $q) (i32.shl (global.get $outRow) (i32.const 1)))
          (f32x4.demote_f64x2_zero (local.get $s0)))
        (local.set $b (i32.add (local.get $b) (i32.const 2)))
        (br $pair))))
)
