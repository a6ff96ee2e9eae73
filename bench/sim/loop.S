@ The benchmark's ARM program: a tight loop of ordinary Thumb-2 work
@ (ALU, a RAM store and load, a compare and branch), 10 instructions per
@ iteration, forever. Vector table first, at 0x08000000.
	.syntax unified
	.thumb
	.section .vectors, "a"
	.word 0x20020000
	.word start + 1
	.text
	.thumb_func
	.global start
start:
	movs r0, #0
	ldr r1, =0x20000100
1:	adds r0, #1
	eors r3, r0, r0, lsl #3
	add r4, r3, r0
	str r4, [r1]
	ldr r5, [r1, #4]
	adds r5, r5, r4
	lsrs r6, r5, #2
	subs r7, r6, r0
	cmp r0, #0
	bne 1b
	b 1b
