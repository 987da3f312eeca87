/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Go's internal register ABI on amd64 (src/cmd/compile/abi-internal.md):
 * integer arguments in RAX, RBX, RCX, RDI, RSI, R8-R11, the goroutine in R14,
 * the return address at [RSP] on entry. All register access for Go frames goes
 * through this header so that another architecture means another header, not
 * edits all over the BPF program. The C-ABI PT_REGS_PARMn macros do not apply.
 */
#ifndef GOMAPLEAK_GO_ABI_H
#define GOMAPLEAK_GO_ABI_H

#include <asm/ptrace.h>

#define GO_ARG1(regs) ((regs)->rax)
#define GO_ARG2(regs) ((regs)->rbx)
#define GO_ARG3(regs) ((regs)->rcx)
#define GO_ARG4(regs) ((regs)->rdi)
#define GO_ARG5(regs) ((regs)->rsi)
#define GO_SP(regs)   ((regs)->rsp)
#define GO_FP(regs)   ((regs)->rbp)
#define GO_G(regs)    ((regs)->r14)
#define GO_IP(regs)   ((regs)->rip)

/* EFLAGS carry and zero: JBE (jump if below or equal) is taken when either is set. */
#define GO_FLAGS_CF	   (1ul << 0)
#define GO_FLAGS_ZF	   (1ul << 6)
#define GO_JBE_TAKEN(regs) (((regs)->eflags & (GO_FLAGS_CF | GO_FLAGS_ZF)) != 0)

#endif /* GOMAPLEAK_GO_ABI_H */
