package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/drsorch/drsorch/internal/drssim"
)

func init() { register("sim", "run the local DRS emulator", runSim) }

// simConfig is what the sim flags set.
type simConfig struct {
	listen        string
	servers       int
	seed          int64
	timeScale     float64
	account       string
	region        string
	faults        string
	inventory     string
	stalled       int
	disconnected  int
	uninitialized bool
	logLevel      string
}

func parseSimFlags(args []string, stderr io.Writer) (simConfig, error) {
	var cfg simConfig
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8089", "address to serve the DRS API on")
	fs.IntVar(&cfg.servers, "servers", 200, "source servers to generate (ignored with --inventory)")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed of the inventory, the job timelines and the faults")
	fs.Float64Var(&cfg.timeScale, "time-scale", 1, "emulated seconds per real second")
	fs.StringVar(&cfg.account, "account", "123456789012", "AWS account ID in ARNs")
	fs.StringVar(&cfg.region, "region", "us-east-1", "AWS region in ARNs")
	fs.StringVar(&cfg.faults, "faults", "", "faults to inject, e.g. throttle=0.05,launchfail=0.1")
	fs.StringVar(&cfg.inventory, "inventory", "", "JSON file of source servers to serve instead of generated ones")
	fs.IntVar(&cfg.stalled, "stalled", 2, "generated servers whose replication is STALLED")
	fs.IntVar(&cfg.disconnected, "disconnected", 1, "generated servers that are DISCONNECTED")
	fs.BoolVar(&cfg.uninitialized, "uninitialized", false, "start with the account uninitialized")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("sim: unexpected arguments %q", fs.Args())
	}
	if err := envDefaults(fs); err != nil {
		return cfg, err
	}
	if cfg.timeScale <= 0 {
		return cfg, fmt.Errorf("sim: --time-scale must be positive, got %v", cfg.timeScale)
	}
	return cfg, nil
}

func (cfg simConfig) options(log *slog.Logger) (drssim.Options, error) {
	faults, err := drssim.ParseFaults(cfg.faults)
	if err != nil {
		return drssim.Options{}, fmt.Errorf("sim: --faults: %w", err)
	}
	opts := drssim.Options{
		Servers:           cfg.servers,
		Seed:              cfg.seed,
		Account:           cfg.account,
		Region:            cfg.region,
		TimeScale:         cfg.timeScale,
		Faults:            faults,
		StalledCount:      cfg.stalled,
		DisconnectedCount: cfg.disconnected,
		Uninitialized:     cfg.uninitialized,
		Logger:            log,
	}
	if cfg.inventory != "" {
		f, err := os.Open(cfg.inventory)
		if err != nil {
			return drssim.Options{}, fmt.Errorf("sim: %w", err)
		}
		defer f.Close()
		if opts.Inventory, err = drssim.LoadInventory(f); err != nil {
			return drssim.Options{}, fmt.Errorf("sim: %s: %w", cfg.inventory, err)
		}
	}
	return opts, nil
}

// runSim serves the emulator until ctx is cancelled (SIGINT or SIGTERM in
// main), then shuts down gracefully.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseSimFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("sim: --log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})).With("component", "drssim")
	opts, err := cfg.options(log)
	if err != nil {
		return err
	}
	sim := drssim.New(opts)

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("sim: listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("drs emulator listening", "addr", ln.Addr().String(),
		"endpoint", "http://"+ln.Addr().String(), "servers", len(sim.Servers()),
		"seed", cfg.seed, "time_scale", cfg.timeScale, "region", cfg.region, "account", cfg.account)

	select {
	case err := <-served:
		return fmt.Errorf("sim: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("sim: shutdown: %w", err)
	}
	log.Info("drs emulator stopped")
	return nil
}
