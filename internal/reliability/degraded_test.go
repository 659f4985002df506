package reliability

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drsorch/drsorch/internal/plan"
)

// proxy forwards TCP connections to a target; stopped, it refuses them
// (its port closed) and cuts the open ones, as an unreachable DRS would.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{addr: freeAddr(t), target: target, conns: map[net.Conn]bool{}}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// readyz returns /readyz's status and reason.
func (cl *cluster) readyz() (int, string) {
	resp, err := http.Get(cl.apiURL + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitReady waits until /readyz answers status with a body containing
// want, for at most 30 seconds.
func (cl *cluster) waitReady(status int, want string) string {
	cl.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := cl.readyz()
		if code == status && strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			cl.t.Fatalf("readyz %d %s; want %d with %q; serve log:\n%s", code, body, status, want, readFile(cl.serveLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readsWork fails unless the API serves reads of the execution and lists.
func (cl *cluster) readsWork(id string) {
	cl.t.Helper()
	for _, path := range []string{"/api/v1/executions/" + id, "/api/v1/recovery-plans", "/api/v1/executions/" + id + "/events"} {
		resp, err := cl.get(cl.t.Context(), http.DefaultClient, path)
		if err != nil {
			cl.t.Errorf("GET %s while degraded: %v", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			cl.t.Errorf("GET %s while degraded: %d, want 200", path, resp.StatusCode)
		}
	}
}

// checkLaunchedOnce fails unless DRS launched every server of the
// execution exactly once.
func (cl *cluster) checkLaunchedOnce(id string) {
	cl.t.Helper()
	v, err := cl.c.GetExecution(cl.t.Context(), id)
	if err != nil {
		cl.t.Fatal(err)
	}
	var launches map[string]int
	getJSON(cl.t, cl.simURL+"/_sim/launches", &launches)
	for _, w := range v.Waves {
		for _, l := range w.Servers {
			if launches[l.SourceServerID] != 1 || l.Status != plan.LaunchLaunched {
				cl.t.Errorf("server %s: launched %d times, %s %s; want once and LAUNCHED", l.SourceServerID,
					launches[l.SourceServerID], l.Status, l.Error)
			}
		}
	}
}

func (cl *cluster) startDrill(sizes []int) string {
	cl.t.Helper()
	res, err := cl.c.StartExecution(cl.t.Context(), cl.drillPlan(sizes), plan.ModeDrill, nil)
	if err != nil {
		cl.t.Fatal(err)
	}
	return res.ExecutionID
}

// TestDRSUnreachable cuts drsorch off from DRS in the middle of a drill:
// /readyz turns 503 naming the failure, reads go on being served, and
// once DRS is back the drill completes with every server launched once.
func TestDRSUnreachable(t *testing.T) {
	var px *proxy
	cl := newCluster(t, 30, 11, "", func(simAddr string) string {
		px = newProxy(t, simAddr)
		return "http://" + px.addr
	})
	cl.waitReady(200, `"ok"`)
	id := cl.startDrill([]int{10, 10, 10})
	for cl.eventCount(id) < 3 {
		time.Sleep(10 * time.Millisecond)
	}
	px.stop()
	body := cl.waitReady(503, "connect")
	t.Logf("readyz while DRS is unreachable: %s", body)
	cl.readsWork(id)
	if log := readFile(cl.serveLog); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "connection refused") {
		t.Errorf("serve log does not report the failure:\n%s", log)
	}
	px.start(t)
	cl.waitReady(200, `"ok"`)
	cl.waitFor(id, 60*time.Second, "drill ended", func(e *plan.Execution) bool { return !plan.Active(e.Status) })
	cl.checkLaunchedOnce(id)
}

// TestStoreDegraded puts the store on a small tmpfs and, during a drill,
// fills the disk, then makes it read-only, then removes the store file.
// Each time /readyz turns 503 with the reason and reads go on; the first
// two clear and the drill completes with every server launched once.
// Needs root (mount); skipped otherwise.
func TestStoreDegraded(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	remount := func(mode string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,"+mode, mnt).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", mode, err, out)
		}
	}
	dbPath := filepath.Join(mnt, "drsorch.db")
	cl := newCluster(t, 60, 12, dbPath, nil)
	cl.waitReady(200, `"ok"`)
	id := cl.startDrill([]int{20, 20, 20})
	for cl.eventCount(id) < 3 {
		time.Sleep(10 * time.Millisecond)
	}

	// A full disk.
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	body := cl.waitReady(503, "takes no write")
	t.Logf("readyz with the disk full: %s", body)
	cl.readsWork(id)
	time.Sleep(time.Second) // let the engine meet it
	os.Remove(filler)
	cl.waitReady(200, `"ok"`)

	cl.waitFor(id, 90*time.Second, "drill ended", func(e *plan.Execution) bool { return !plan.Active(e.Status) })
	cl.checkLaunchedOnce(id)
	full := strings.Count(readFile(cl.serveLog), "disk is full")
	t.Logf("serve log lines naming a full disk: %d", full)

	// A read-only file system, which Linux only allows without writers:
	// the process is stopped, the file system made read-only, and the
	// process started on it.
	cl.serve.kill()
	remount("ro")
	ro := startProc(t, cl.env, cl.serveLog, cl.bin, cl.serveArgs...)
	exited := make(chan error, 1)
	go func() { exited <- ro.cmd.Wait() }()
	select {
	case err := <-exited:
		log := readFile(cl.serveLog)
		t.Logf("serve on a read-only store exited (%v): %s", err, lastLine(log))
		if err == nil || !strings.Contains(lastLine(log), "read-only") && !strings.Contains(lastLine(log), "readonly") {
			t.Errorf("serve on a read-only store: exit %v, last log line %q; want a failure naming it", err, lastLine(log))
		}
	case <-time.After(5 * time.Second):
		body := cl.waitReady(503, "read-only file system")
		t.Logf("readyz with the file system read-only: %s", body)
		cl.readsWork(id)
		ro.cmd.Process.Kill()
		<-exited
	}
	remount("rw")
	cl.startServe()
	cl.waitReady(200, `"ok"`)
	cl.readsWork(id)

	// The store file removed: the open handle keeps the data alive, but
	// it would be lost at the next start, so the process says so.
	os.Remove(dbPath)
	body = cl.waitReady(503, "store file")
	t.Logf("readyz with the store file removed: %s", body)
	cl.readsWork(id)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	// Fill the last partial page too.
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
}
