/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Go's internal register ABI (src/cmd/compile/abi-internal.md), per
 * architecture. All register access for Go frames goes through this header,
 * so that another architecture means another block here, not edits all over
 * the BPF program. The C-ABI PT_REGS_PARMn macros do not apply.
 *
 * Both architectures keep Go's frame-pointer layout: a function's frame
 * pointer points at the caller's saved frame pointer, with the return
 * address into the caller one word above it. They differ at entry, before
 * the prologue: amd64's CALL pushed the return address ([RSP]); arm64's BL
 * left it in the link register.
 */
#ifndef GOMAPLEAK_GO_ABI_H
#define GOMAPLEAK_GO_ABI_H

#if defined(__TARGET_ARCH_arm64)

#include <linux/types.h>

/*
 * The kernel's arm64 struct pt_regs starts with struct user_pt_regs, which
 * is what a uprobe program may read: x0-x30, sp, pc, pstate.
 */
struct pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

/* Integer arguments in R0-R15, the goroutine in R28, the frame pointer R29, the link R30. */
#define GO_ARG1(regs) ((regs)->regs[0])
#define GO_ARG2(regs) ((regs)->regs[1])
#define GO_ARG3(regs) ((regs)->regs[2])
#define GO_ARG4(regs) ((regs)->regs[3])
#define GO_ARG5(regs) ((regs)->regs[4])
#define GO_SP(regs)   ((regs)->sp)
#define GO_FP(regs)   ((regs)->regs[29])
#define GO_G(regs)    ((regs)->regs[28])
#define GO_IP(regs)   ((regs)->pc)
/* The return address before the prologue saved it: the link register. */
#define GO_RETURN_ADDRESS_AT_ENTRY(regs) ((regs)->regs[30])

/* PSTATE's Z and C: B.LS (unsigned lower or same) is taken when C is clear or Z set. */
#define GO_PSTATE_Z (1ul << 30)
#define GO_PSTATE_C (1ul << 29)
#define GO_STACK_CHECK_TAKEN(regs)                                                                 \
	(!((regs)->pstate & GO_PSTATE_C) || ((regs)->pstate & GO_PSTATE_Z))

#else /* amd64 */

#include <asm/ptrace.h>

/* Integer arguments in RAX, RBX, RCX, RDI, RSI, R8-R11, the goroutine in R14. */
#define GO_ARG1(regs)			 ((regs)->rax)
#define GO_ARG2(regs)			 ((regs)->rbx)
#define GO_ARG3(regs)			 ((regs)->rcx)
#define GO_ARG4(regs)			 ((regs)->rdi)
#define GO_ARG5(regs)			 ((regs)->rsi)
#define GO_SP(regs)			 ((regs)->rsp)
#define GO_FP(regs)			 ((regs)->rbp)
#define GO_G(regs)			 ((regs)->r14)
#define GO_IP(regs)			 ((regs)->rip)
/* The return address before the prologue: what CALL pushed, at [RSP]. */
#define GO_RETURN_ADDRESS_AT_ENTRY(regs) read_user_u64(GO_SP(regs))

/* EFLAGS carry and zero: JBE (jump if below or equal) is taken when either is set. */
#define GO_FLAGS_CF			 (1ul << 0)
#define GO_FLAGS_ZF			 (1ul << 6)
#define GO_STACK_CHECK_TAKEN(regs)	 (((regs)->eflags & (GO_FLAGS_CF | GO_FLAGS_ZF)) != 0)

#endif

#endif /* GOMAPLEAK_GO_ABI_H */
