// Command bao is OpenBao's server and CLI, built from the Go module proxy (see scripts/openbao.sh).
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() { os.Exit(command.Run(os.Args[1:])) }
