// Command verifier checks the compliance service's audit log with Go's own
// golang.org/x/mod/sumdb/note and sumdb/tlog, code nobody at Elcorp wrote: it opens the signed
// checkpoint with the published verifier key, then checks an inclusion proof and a
// consistency proof against the checkpoint's root. Input is one JSON document on stdin;
// it prints "ok" and exits 0, or prints the failure and exits 1. With "batch": a JSON list
// of such documents, it prints one verdict line per document and exits 0.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	VerifierKey string `json:"verifierKey"`
	SignedNote  string `json:"signedNote"`
	Inclusion   *struct {
		LeafIndex int64    `json:"leafIndex"`
		LeafHash  string   `json:"leafHash"`
		AuditPath []string `json:"auditPath"`
	} `json:"inclusion"`
	Consistency *struct {
		From    int64    `json:"from"`
		OldRoot string   `json:"oldRoot"`
		Proof   []string `json:"proof"`
	} `json:"consistency"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "batch" {
		var all []input
		if err := json.NewDecoder(os.Stdin).Decode(&all); err != nil {
			fmt.Println("FAIL: reading input:", err)
			os.Exit(1)
		}
		for _, in := range all {
			fmt.Println(verdict(check(in)))
		}
		return
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("FAIL: reading input:", err)
		os.Exit(1)
	}
	err := check(in)
	fmt.Println(verdict(err))
	if err != nil {
		os.Exit(1)
	}
}

func verdict(err error) string {
	if err != nil {
		return "FAIL: " + err.Error()
	}
	return "ok"
}

func check(in input) error {
	verifier, err := note.NewVerifier(in.VerifierKey)
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	opened, err := note.Open([]byte(in.SignedNote), note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("opening the signed note: %v", err)
	}
	size, root, err := parseCheckpoint(opened.Text, verifier.Name())
	if err != nil {
		return err
	}
	if in.Inclusion != nil {
		leaf, err := hexHash(in.Inclusion.LeafHash)
		if err != nil {
			return err
		}
		proof, err := hexHashes(in.Inclusion.AuditPath)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, in.Inclusion.LeafIndex, leaf); err != nil {
			return fmt.Errorf("inclusion of leaf %d in tree %d: %v", in.Inclusion.LeafIndex, size, err)
		}
	}
	if in.Consistency != nil {
		old, err := hexHash(in.Consistency.OldRoot)
		if err != nil {
			return err
		}
		proof, err := hexHashes(in.Consistency.Proof)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tlog.TreeProof(proof), size, root, in.Consistency.From, old); err != nil {
			return fmt.Errorf("consistency of tree %d with tree %d: %v", in.Consistency.From, size, err)
		}
	}
	return nil
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, tree size, base64 root hash.
func parseCheckpoint(text, origin string) (int64, tlog.Hash, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] != origin {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint origin is not %q", origin)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint tree size %q", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint root hash %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], raw)
	return size, root, nil
}

func hexHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		return h, fmt.Errorf("not a hex SHA-256 hash: %q", s)
	}
	copy(h[:], raw)
	return h, nil
}

func hexHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(list))
	for _, s := range list {
		h, err := hexHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
