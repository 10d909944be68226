// Command vigil records the RTSP cameras of a province's quarantine facilities and serves them over HTTP.
//
//	vigil demo                      simulated cameras, recorded into ./demo-data, served on 127.0.0.1:8080
//	vigil serve --config FILE       a real install
//	vigil check-config FILE         validate a config: one "file:line: field: problem" per line
//	vigil reindex --config FILE     rebuild the index's segment rows from the files alone
//	vigil survey --config FILE      read every camera, assess it against the province's minimum, report
//	vigil user add|passwd|…         manage users; the first admin is made this way
//	vigil token add                 an API token for the central system or a script
//	vigil version
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
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"vigil/auth"
	"vigil/config"
	"vigil/continuity"
	"vigil/recorder"
	"vigil/store"
	"vigil/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage:
  vigil demo [--data DIR] [--listen ADDR]   simulated cameras recorded into DIR (./demo-data)
  vigil serve --config FILE                 record the configured cameras and serve the API
  vigil check-config FILE                   validate a config file
  vigil reindex --config FILE               rebuild the segment index from the files
  vigil survey --config FILE [--facility ID] [--camera ID] [--duration 10s] [--out report.xlsx|report.csv]
                                            survey the cameras and assess them against the minimum
  vigil user add|passwd|disable|enable|list  manage who signs in (vigil user for details)
  vigil token add                           make an API token for a machine (the central system, scripts)
  vigil version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(rest, stdout, stderr)
	case "demo":
		err = cmdDemo(rest, stdout, stderr)
	case "check-config":
		return cmdCheckConfig(rest, stdout, stderr)
	case "reindex":
		err = cmdReindex(rest, stdout, stderr)
	case "survey":
		err = cmdSurvey(rest, stdout, stderr)
	case "user":
		err = cmdUser(rest, os.Stdin, stdout, stderr)
	case "token":
		err = cmdToken(rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "vigil %s\n", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "vigil: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func cmdCheckConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (or give it as the argument)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		fmt.Fprintln(stderr, "usage: vigil check-config FILE")
		return 2
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	facilities := map[string]bool{}
	enabled := 0
	for _, c := range cfg.Cameras {
		facilities[c.Facility] = true
		if c.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(stdout, "%s: ok: %d cameras (%d enabled) at %d facilities, storage %s\n",
		*path, len(cfg.Cameras), enabled, len(facilities), cfg.Storage.Path)
	return 0
}

func loadFlags(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*config.Config, *slog.Logger, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	path := fs.String("config", "", "config file (required)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if *path == "" {
		return nil, nil, errors.New("--config FILE is required")
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid config:\n%w", err)
	}
	return cfg, log, nil
}

// openStore takes the storage folder's lock, then opens the index. The lock keeps a second vigil (or a
// reindex) from writing the same files and rows as a running one; the kernel drops it when the process
// ends, however it ends.
func openStore(cfg *config.Config) (*store.Store, error) {
	if err := os.MkdirAll(cfg.Storage.Path, 0o750); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Storage.Database), 0o750); err != nil {
		return nil, err
	}
	if err := lockStorage(cfg.Storage.Path); err != nil {
		return nil, err
	}
	return store.Open(cfg.Storage.Database)
}

func lockStorage(dir string) error {
	p := filepath.Join(dir, "vigil.lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(p)
		f.Close()
		return fmt.Errorf("storage %s is in use by another vigil (pid %s); stop it first", dir, strings.TrimSpace(string(pid)))
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	// f stays open (and locked) for the life of the process.
	lockFiles = append(lockFiles, f)
	return nil
}

var lockFiles []*os.File

func cmdServe(args []string, stdout, stderr io.Writer) error {
	var pprofAddr string
	cfg, log, err := loadFlags("serve", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&pprofAddr, "pprof", "", "serve Go's pprof profiles on this address (keep it on loopback)")
	})
	if err != nil {
		return err
	}
	if pprofAddr != "" {
		if err := servePprof(pprofAddr); err != nil {
			return err
		}
	}
	return serve(cfg, log, stdout, serveHooks{beforeServe: auditConfigFile})
}

// serveHooks let the demo and tests step into serve.
type serveHooks struct {
	// beforeServe runs once the store is open and the registry seeded, before anything is served.
	beforeServe func(ctx context.Context, st *store.Store, a *auth.Service, cfg *config.Config, stdout io.Writer) error
	onReady     func(url string)
}

// serve records cfg's cameras and serves the API until SIGINT or SIGTERM.
func serve(cfg *config.Config, log *slog.Logger, stdout io.Writer, hooks serveHooks) error {
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := seedRegistry(st, cfg, log); err != nil {
		return err
	}
	authSvc := &auth.Service{Store: st, Config: cfg.Auth}
	if hooks.beforeServe != nil {
		if err := hooks.beforeServe(context.Background(), st, authSvc, cfg, stdout); err != nil {
			return err
		}
	}
	if err := hintFirstAdmin(st, cfg, stdout); err != nil {
		return err
	}
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: log}
	if err := rec.Start(); err != nil {
		return err
	}
	alerts := &continuity.Engine{Config: cfg, Store: st, Cameras: rec.Cameras, Log: log}
	if err := alerts.Start(); err != nil {
		return errors.Join(err, rec.Close())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	up, err := startUpstream(ctx, cfg, rec, authSvc, st, log)
	if err != nil {
		return errors.Join(fmt.Errorf("upstream.listen: %w", err), alerts.Close(), rec.Close())
	}
	srv := &web.Server{Config: cfg, Store: st, Recorder: rec, Auth: authSvc, Upstream: up, Log: log, Version: version}
	err = srv.ListenAndServe(ctx, cfg.Listen, func(a net.Addr) {
		url := "http://" + a.String() + "/"
		if rtsp := up.RTSPAddr(); rtsp != "" {
			fmt.Fprintf(stdout, "vigil %s: RTSP re-stream for the central system at %s/{camera}\n", version, rtsp)
		}
		fmt.Fprintf(stdout, "vigil %s: recording %d cameras into %s; web server at %s\n",
			version, len(cfg.Cameras), cfg.Storage.Path, url)
		if hooks.onReady != nil {
			hooks.onReady(url)
		}
	})
	stop()
	up.Close()
	// The engine stops first, so it does not take the recorder's own shutdown for outages.
	return errors.Join(err, alerts.Close(), rec.Close())
}

// hintFirstAdmin says how to make the first user when there is none: nobody could sign in otherwise.
func hintFirstAdmin(st *store.Store, cfg *config.Config, stdout io.Writer) error {
	n, err := st.CountUsers(context.Background())
	if err != nil || n > 0 {
		return err
	}
	where := "--config " + cfg.File
	if cfg.File == "" {
		where = "--data " + cfg.Storage.Path
	}
	fmt.Fprintf(stdout, "vigil: no users yet; create the first admin with:\n  vigil user add %s --role admin admin\n", where)
	return nil
}

// auditConfigFile writes a config.change audit event when the file differs from the last start's.
func auditConfigFile(ctx context.Context, st *store.Store, _ *auth.Service, cfg *config.Config, _ io.Writer) error {
	data, err := os.ReadFile(cfg.File)
	if err != nil {
		return err
	}
	return web.AuditConfig(ctx, st, cfg, data)
}

// servePprof serves the profiles on their own listener, apart from the API and whatever guards it.
func servePprof(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go http.Serve(l, mux)
	return nil
}

func cmdReindex(args []string, stdout, stderr io.Writer) error {
	cfg, _, err := loadFlags("reindex", args, stderr, nil)
	if err != nil {
		return err
	}
	st, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := recorder.Reindex(context.Background(), st, cfg.Storage.Path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindexed %d segments (%d fragments, %d bytes) from %s\n",
		rep.Segments, rep.Fragments, rep.Bytes, cfg.Storage.Path)
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(stdout, "skipped %d files:\n  %s\n", len(rep.Skipped), strings.Join(rep.Skipped, "\n  "))
	}
	return nil
}
