// compose-check validates Compose files the way Docker Compose v2 loads them, without Docker:
// compose-go parses, interpolates and checks each file against the Compose specification's
// JSON schema, then builds the project model (references between services, volumes, networks).
//
//	compose-check docker-compose.yml [more files...]
//
// On success it prints the loaded project as JSON (the normalized model) and exits 0; on any
// error it prints the error on stderr and exits 1.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file> [more files...]")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(os.Args[1:], cli.WithOsEnv, cli.WithConsistency(true))
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
