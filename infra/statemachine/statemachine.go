// Package statemachine embeds the closed-loop state machine so the local
// interpreter runs exactly the file SAM deploys.
package statemachine

import _ "embed"

// ClosedLoop is closed-loop.asl.json, with ${...} placeholders for SAM's
// DefinitionSubstitutions.
//
//go:embed closed-loop.asl.json
var ClosedLoop []byte
