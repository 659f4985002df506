package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeBinary builds drsorch, serves on a free loopback port with its
// configuration partly from the environment, creates a group over HTTP and
// stops the process with SIGTERM, which must end it cleanly.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "drsorch")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	dbPath := filepath.Join(dir, "state.db")
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(),
		"DRSORCH_STORE=sqlite:"+dbPath,
		"DRSORCH_LOG_LEVEL=debug",
		"DRSORCH_DRS_ENDPOINT=http://127.0.0.1:9",
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })

	// Read the log: the first "listening" line gives the address.
	addrc := make(chan string, 1)
	logc := make(chan []string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				addrc <- rec.Addr
			}
		}
		logc <- lines
	}()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case lines := <-logc:
		t.Fatalf("drsorch serve exited before listening:\n%s", strings.Join(lines, "\n"))
	case <-time.After(time.Minute):
		t.Fatal("drsorch serve did not report its address within a minute")
	}

	// The process listens before its first request; /readyz still may
	// take a moment on a slow machine.
	ready := false
	for range 100 {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = true
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !ready {
		t.Fatal("/readyz never answered 200")
	}

	// Unauthenticated, refused; with a token from the token command on
	// the same store, created.
	body := `{"name": "db", "region": "eu-west-1", "sourceServerIds": ["s-0000000000000000a"]}`
	resp, err := http.Post(base+"/api/v1/protection-groups", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("create group without a token: %d, want 401", resp.StatusCode)
	}
	token := binaryToken(t, bin, "sqlite:"+dbPath)
	req, err := http.NewRequest("POST", base+"/api/v1/protection-groups", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") == "" {
		t.Fatalf("create group: %d %s (Location %q)", resp.StatusCode, b, resp.Header.Get("Location"))
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	lines := <-logc
	if err := cmd.Wait(); err != nil {
		t.Errorf("drsorch serve after SIGTERM: %v\n%s", err, strings.Join(lines, "\n"))
	}
	log := strings.Join(lines, "\n")
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`, `"method":"POST"`, `"status":201`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if _, err := os.Stat(dbPath); err != nil {
		t.Errorf("DRSORCH_STORE was not used: %v", err)
	}
}
