package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"vigil/config"
	"vigil/store"
	"vigil/survey"
)

// cmdSurvey reads the configured cameras (all, one facility's or one), prints the assessment and
// optionally writes it as XLSX or CSV. A failing camera is a finding, not an error: it exits 0 whatever
// the cameras did. It takes no storage lock, so it runs beside a running vigil; it records its results
// in the index only if the database already exists (see recordTo).
func cmdSurvey(args []string, stdout, stderr io.Writer) error {
	var facility, camera, out string
	var window time.Duration
	var noStore bool
	cfg, log, err := loadFlags("survey", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&facility, "facility", "", "survey only this facility's cameras")
		fs.StringVar(&camera, "camera", "", "survey only this camera")
		fs.DurationVar(&window, "duration", 0, "how long to read each camera (default: survey.duration from the config, 10s)")
		fs.StringVar(&out, "out", "", "also write the report to this file, as XLSX (.xlsx) or CSV (.csv)")
		fs.BoolVar(&noStore, "no-store", false, "do not record the results in the index")
	})
	if err != nil {
		return err
	}
	if window != 0 {
		if p := config.SurveyDurationProblem(window); p != "" {
			return fmt.Errorf("--duration: %s", p)
		}
		cfg.Survey.Duration = window
	}
	if err := checkReportName(out); err != nil {
		return err
	}
	cams, err := survey.Select(cfg, facility, camera)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := survey.OptionsFrom(cfg.Survey)
	opt.Log = log
	var run *survey.StoredRun
	if !noStore {
		st, r := recordTo(ctx, cfg, survey.Scope(facility, camera), log)
		if st != nil {
			defer st.Close()
			run = r
			opt.OnResult = func(res survey.Result) {
				if err := run.Add(ctx, res); err != nil {
					log.Warn("survey: result not recorded", "camera", res.CameraID, "err", err)
				}
			}
		}
	}
	fmt.Fprintf(stderr, "surveying %d cameras, %s each, %d at a time...\n", len(cams), cfg.Survey.Duration, opt.Parallel)
	results := survey.Run(ctx, cams, opt)
	rep := survey.BuildReport(results, cfg, time.Now(), cfg.Location)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if run != nil {
		if err := run.Finish(context.WithoutCancel(ctx)); err != nil {
			log.Warn("survey: end of run not recorded", "err", err)
		} else {
			fmt.Fprintf(stdout, "\nRecorded as survey run %d in %s\n", run.ID, cfg.Storage.Database)
		}
	}
	if out != "" {
		if err := writeReport(rep, out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Report written to %s\n", out)
	}
	return nil
}

// recordTo opens the index to record the run in, if there is one: the database must already exist
// (a survey made before vigil ever ran creates nothing), and no lock is taken, because survey rows
// touch nothing a running vigil writes and SQLite serialises the two writers. Any failure only means
// the results are not recorded: the survey itself goes on.
func recordTo(ctx context.Context, cfg *config.Config, scope string, log *slog.Logger) (*store.Store, *survey.StoredRun) {
	db := cfg.Storage.Database
	if _, err := os.Stat(db); errors.Is(err, fs.ErrNotExist) {
		log.Info("survey: no index yet, results not recorded", "database", db)
		return nil, nil
	}
	st, err := store.Open(db)
	if err != nil {
		log.Warn("survey: results not recorded: cannot open the index", "err", err)
		return nil, nil
	}
	run, err := survey.StartRun(ctx, st, scope, "cli", cfg.Survey.Duration, cfg.Survey.Minimum)
	if err != nil {
		st.Close()
		log.Warn("survey: results not recorded", "err", err)
		return nil, nil
	}
	return st, run
}

func checkReportName(name string) error {
	if name == "" {
		return nil
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".csv":
		return nil
	}
	return fmt.Errorf("--out %s: the report is written as .xlsx or .csv: name the file so", name)
}

// writeReport writes the report in the format its name asks for. It is built in memory first, so a
// failure leaves no half-written file behind.
func writeReport(rep *survey.Report, name string) error {
	var buf bytes.Buffer
	var err error
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		err = rep.WriteCSV(&buf)
	} else {
		err = rep.WriteXLSX(&buf)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o640)
}
