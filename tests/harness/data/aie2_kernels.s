// Written here in the shape of Peano's `clang++ -S --target=aie2-none-unknown-elf` output:
// one VLIW bundle per line, slot instructions separated by ';'. Not compiler output.
	.text
	.file	"kernel.cc"
	.globl	_Z10relu_int8PaS_i              // -- Begin function _Z10relu_int8PaS_i
	.p2align	4
	.type	_Z10relu_int8PaS_i,@function
_Z10relu_int8PaS_i:                     // @_Z10relu_int8PaS_i
// %bb.0:                               // %entry
	nopa	;		nopb	;		nopx	;		mov	r1, #0
	nop
.LBB0_1:                                // %for.body
                                        // =>This Inner Loop Header: Depth=1
	lda.s8	r2, [p0], #1
	nop
	gt	r3, r2, r1
	sel.nez	r2, r2, r1, r3
	st.s8	r2, [p1], #1
	add	r0, r0, #-1
	jnz	r0, #.LBB0_1
	nop
	nop
// %bb.2:                               // %for.end
	ret	lr
	nop
.Lfunc_end0:
	.size	_Z10relu_int8PaS_i, .Lfunc_end0-_Z10relu_int8PaS_i
                                        // -- End function
	.globl	_Z14vectoradd_bf16PDF16bS_S_i   // -- Begin function _Z14vectoradd_bf16PDF16bS_S_i
	.p2align	4
	.type	_Z14vectoradd_bf16PDF16bS_S_i,@function
_Z14vectoradd_bf16PDF16bS_S_i:          // @_Z14vectoradd_bf16PDF16bS_S_i
// %bb.0:                               // %entry
	movxm	ls, #.LBB1_1
	movxm	le, #.L_LEnd0
	nopa	;		nopb	;		nops	;		add.nc	lc, r0, #-1	;		nopm	;		nopv
.LBB1_1:                                // %for.body
	vlda.ups.s32.s16	bmh0, s0, [p0], #32	;		vldb	wl2, [p1], #32	;		nops	;		nopxm	;		nopv
	vlda	wl4, [p0], #32	;		nopb	;		nops	;		nopxm	;		vmac.f	bmh2, bmh2, x2, x4, r4
	nopa	;		nopb	;		vst.srs.s16.s32	bmh2, s1, [p2], #32	;		nopxm	;		vadd.f	bml0, bml0, bml1, r5
.L_LEnd0:
	nopa	;		nopb	;		vst	wl0, [p2], #32	;		nopxm	;		nopv
// %bb.2:                               // %for.end
	vmov	x0, x2	;		nopv
	ret	lr
.Lfunc_end1:
	.size	_Z14vectoradd_bf16PDF16bS_S_i, .Lfunc_end1-_Z14vectoradd_bf16PDF16bS_S_i
