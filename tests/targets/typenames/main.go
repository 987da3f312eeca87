// SPDX-License-Identifier: GPL-2.0
// typenames prints, for maps of assorted types, the runtime address of each
// map's type descriptor (the *maptype the map functions receive) and the type
// as %T prints it: "TYPE 0xADDR NAME". The unit tests resolve each address
// through the binary's moduledata and must find the same name. Then it waits
// for stdin to close.
package main

import (
	"bufio"
	"fmt"
	"os"
	"unsafe"
)

type User struct {
	Name string
	ID   int
}

type Key [2]uint32

// typeAddr is the type word of an empty interface holding v: its *_type.
func typeAddr(v any) uintptr {
	return (*[2]uintptr)(unsafe.Pointer(&v))[0]
}

func main() {
	maps := []any{
		map[string]int64{},
		map[int]string{},
		map[string]map[int]string{},
		map[string]map[string]map[string]interface{}{},
		map[uint64]*User{},
		map[User]bool{},
		map[Key][]byte{},
		map[*User]struct{}{},
		map[string][1024]byte{},
		map[float64]complex128{},
	}
	for _, m := range maps {
		fmt.Printf("TYPE %#x %T\n", typeAddr(m), m)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
	}
}
