// Command goverify checks a plateledger audit log with Go's own transparency-log code:
// golang.org/x/mod/sumdb/note opens the signed checkpoint and golang.org/x/mod/sumdb/tlog
// reads the C2SP tlog-tiles hash tiles (checking every tile against the signed root),
// recomputes the tree hash and checks inclusion and consistency proofs, both those it
// builds from the tiles and those the server's proof endpoints serve.
//
//	goverify -url http://host/v1/audit -key 'name+id+base64' [-saved old-checkpoint.txt]
//	         [-witness 'name+id+base64(0x04||key)'] [-token 'bearer token']
//
// With -token (an auditor's, whose agency is served every entry in full) it also reads
// every entry bundle (tile/entries/...) and checks that each entry hashes to its leaf in
// the level-0 tiles.
//
// It prints one OK line and exits 0, or prints the first failure and exits 1.
//
// Build it offline from Debian's packages (golang-go, golang-golang-x-mod-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o goverify .
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var base, token string

func get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	return data, nil
}

// tiles reads tlog-tiles paths: Go's tile/8/L/N is C2SP's tile/L/N.
type tiles struct{}

func (tiles) Height() int { return 8 }

func (tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := get("/tlog/" + strings.Replace(t.Path(), "tile/8/", "tile/", 1))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (tiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
	text   string
}

func openCheckpoint(msg []byte, verifier note.Verifier) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return checkpoint{}, fmt.Errorf("checkpoint has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("bad root hash %q", lines[2])
	}
	if lines[0] != verifier.Name() {
		return checkpoint{}, fmt.Errorf("origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	return checkpoint{lines[0], tlog.Tree{N: size, Hash: root}, n.Text}, nil
}

func hashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// checkCosignature verifies a C2SP tlog-cosignature/v1 (Ed25519, type 0x04) line by vkey.
func checkCosignature(msg []byte, text, vkey string) error {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return fmt.Errorf("bad witness key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return fmt.Errorf("witness key is not an Ed25519 cosignature key")
	}
	id := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), raw[1:]...))
	if fmt.Sprintf("%x", id[:4]) != parts[1] {
		return fmt.Errorf("witness key ID does not match")
	}
	prefix := "\u2014 " + parts[0] + " "
	for _, line := range strings.Split(string(msg), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, prefix))
		if err != nil || len(blob) != 76 || !bytes.Equal(blob[:4], id[:4]) {
			continue
		}
		ts := binary.BigEndian.Uint64(blob[4:12])
		signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, text)
		if !ed25519.Verify(ed25519.PublicKey(raw[1:]), []byte(signed), blob[12:]) {
			return fmt.Errorf("cosignature by %s does not verify", parts[0])
		}
		return nil
	}
	return fmt.Errorf("no cosignature by %s", parts[0])
}

// sampled says whether to check index i of n: all of a small log, a spread of a large one.
func sampled(i, n int64) bool {
	return n <= 64 || i%17 == 0 || i == n-1 || i&(i-1) == 0
}

func run() (string, error) {
	url := flag.String("url", "", "base URL of the audit API, e.g. http://host/v1/audit")
	key := flag.String("key", "", "verifier key of the log")
	saved := flag.String("saved", "", "a checkpoint saved earlier: the log must extend it")
	witness := flag.String("witness", "", "cosigner key whose cosignature must be on the checkpoint")
	flag.StringVar(&token, "token", "", "an auditor's bearer token: also check every entry bundle")
	flag.Parse()
	base = strings.TrimRight(*url, "/")
	verifier, err := note.NewVerifier(*key)
	if err != nil {
		return "", fmt.Errorf("verifier key: %v", err)
	}
	msg, err := get("/tlog/checkpoint")
	if err != nil {
		return "", err
	}
	cp, err := openCheckpoint(msg, verifier)
	if err != nil {
		return "", err
	}
	if *witness != "" {
		if err := checkCosignature(msg, cp.text, *witness); err != nil {
			return "", err
		}
	}
	n := cp.tree.N
	if n == 0 { // RFC 6962: the empty tree's hash is SHA-256 of nothing
		if cp.tree.Hash != tlog.Hash(sha256.Sum256(nil)) {
			return "", fmt.Errorf("empty tree with root %v", cp.tree.Hash)
		}
		return fmt.Sprintf("OK origin=%s size=0 inclusion=0 consistency=0", cp.origin), nil
	}
	reader := tlog.TileHashReader(cp.tree, tiles{})
	th, err := tlog.TreeHash(n, reader)
	if err != nil {
		return "", fmt.Errorf("tree hash from tiles: %v", err)
	}
	if th != cp.tree.Hash {
		return "", fmt.Errorf("tiles hash to %v, the checkpoint says %v", th, cp.tree.Hash)
	}
	inclusions, consistencies := 0, 0
	for i := int64(0); i < n; i++ {
		if !sampled(i, n) {
			continue
		}
		leaf, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			return "", fmt.Errorf("leaf %d: %v", i, err)
		}
		proof, err := tlog.ProveRecord(n, i, reader)
		if err != nil {
			return "", fmt.Errorf("inclusion proof %d from tiles: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, n, cp.tree.Hash, i, leaf[0]); err != nil {
			return "", fmt.Errorf("inclusion of %d (tiles): %v", i, err)
		}
		var body struct {
			LeafHash string   `json:"leaf_hash"`
			Proof    []string `json:"proof"`
		}
		data, err := get(fmt.Sprintf("/proof/inclusion?index=%d&size=%d", i, n))
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(data, &body); err != nil {
			return "", err
		}
		served, err := hashes(body.Proof)
		if err != nil {
			return "", err
		}
		servedLeaf, err := tlog.ParseHash(body.LeafHash)
		if err != nil || servedLeaf != leaf[0] {
			return "", fmt.Errorf("served leaf hash of %d differs from its tile", i)
		}
		if err := tlog.CheckRecord(served, n, cp.tree.Hash, i, servedLeaf); err != nil {
			return "", fmt.Errorf("inclusion of %d (served proof): %v", i, err)
		}
		inclusions++
	}
	olds := []tlog.Tree{}
	for m := int64(1); m < n; m++ {
		if !sampled(m, n) {
			continue
		}
		h, err := tlog.TreeHash(m, reader)
		if err != nil {
			return "", fmt.Errorf("tree hash of size %d: %v", m, err)
		}
		olds = append(olds, tlog.Tree{N: m, Hash: h})
	}
	if *saved != "" {
		old, err := os.ReadFile(*saved)
		if err != nil {
			return "", err
		}
		scp, err := openCheckpoint(old, verifier)
		if err != nil {
			return "", fmt.Errorf("saved %v", err)
		}
		if scp.tree.N > n {
			return "", fmt.Errorf("saved checkpoint (size %d) is ahead of the log (%d)", scp.tree.N, n)
		}
		olds = append(olds, scp.tree)
	}
	for _, old := range olds {
		var body struct {
			Proof []string `json:"proof"`
		}
		data, err := get(fmt.Sprintf("/proof/consistency?from=%d&to=%d", old.N, n))
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(data, &body); err != nil {
			return "", err
		}
		served, err := hashes(body.Proof)
		if err != nil {
			return "", err
		}
		if old.N == n {
			if old.Hash != cp.tree.Hash {
				return "", fmt.Errorf("saved checkpoint at size %d has another root", n)
			}
		} else if err := tlog.CheckTree(served, n, cp.tree.Hash, old.N, old.Hash); err != nil {
			return "", fmt.Errorf("consistency %d->%d (served proof): %v", old.N, n, err)
		}
		if old.N < n {
			proof, err := tlog.ProveTree(n, old.N, reader)
			if err != nil {
				return "", fmt.Errorf("consistency proof %d->%d from tiles: %v", old.N, n, err)
			}
			if err := tlog.CheckTree(proof, n, cp.tree.Hash, old.N, old.Hash); err != nil {
				return "", fmt.Errorf("consistency %d->%d (tiles): %v", old.N, n, err)
			}
		}
		consistencies++
	}
	entries := int64(0)
	if token != "" {
		if entries, err = checkBundles(n, reader); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("OK origin=%s size=%d inclusion=%d consistency=%d entries=%d",
		cp.origin, n, inclusions, consistencies, entries), nil
}

// checkBundles reads every entry bundle of the tree of size n (Go's level -1 tiles, the
// "data" tiles, are C2SP's tile/entries) and checks that each entry's record hash is its
// leaf in the level-0 tiles, already checked against the signed root.
func checkBundles(n int64, reader tlog.HashReader) (int64, error) {
	checked := int64(0)
	for first := int64(0); first < n; first += 256 {
		width := n - first
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: first / 256, W: int(width)}
		path := strings.Replace(t.Path(), "tile/8/data/", "tile/entries/", 1)
		data, err := get("/tlog/" + path)
		if err != nil {
			return 0, err
		}
		for at := 0; at < len(data); checked++ {
			if at+2 > len(data) {
				return 0, fmt.Errorf("%s ends inside a length", path)
			}
			size := int(binary.BigEndian.Uint16(data[at:]))
			if at+2+size > len(data) {
				return 0, fmt.Errorf("%s ends inside an entry", path)
			}
			if checked >= first+width {
				return 0, fmt.Errorf("%s holds more than %d entries", path, width)
			}
			leaf, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, checked)})
			if err != nil {
				return 0, fmt.Errorf("leaf %d: %v", checked, err)
			}
			if tlog.RecordHash(data[at+2:at+2+size]) != leaf[0] {
				return 0, fmt.Errorf("entry %d of %s does not hash to its leaf", checked, path)
			}
			at += 2 + size
		}
		if checked != first+width {
			return 0, fmt.Errorf("%s holds %d entries, not %d", path, checked-first, width)
		}
	}
	return checked, nil
}

func main() {
	out, err := run()
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
	fmt.Println(out)
}
