package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"vigil/auth"
	"vigil/config"
	"vigil/registry"
	"vigil/store"
)

const userUsage = `usage:
  vigil user add    (--config FILE | --data DIR) --role ROLE [--name "Full Name"] [--facility ID]... [--password-stdin] USERNAME
  vigil user passwd (--config FILE | --data DIR) [--password-stdin] USERNAME
  vigil user disable|enable (--config FILE | --data DIR) USERNAME
  vigil user list   (--config FILE | --data DIR)
  vigil token add   (--config FILE | --data DIR) --role ROLE [--facility ID]... NAME
roles: admin, operator, investigator, facility, viewer; --facility '*' grants every facility.
A password is generated and printed once unless --password-stdin gives one.
`

// userFlags are what every user subcommand shares: where the store is.
type userFlags struct {
	fs        *flag.FlagSet
	config    string
	data      string
	role      string
	name      string
	facility  multiFlag
	fromStdin bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseUserFlags(name string, args []string, stderr io.Writer) (*userFlags, error) {
	f := &userFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.config, "config", "", "config file of the vigil whose users to manage")
	f.fs.StringVar(&f.data, "data", "", "or: the demo's data folder")
	f.fs.StringVar(&f.role, "role", "", "admin, operator, investigator, facility or viewer")
	f.fs.StringVar(&f.name, "name", "", "the person's full name")
	f.fs.Var(&f.facility, "facility", "a facility id the user may reach; repeat for several; '*' = all")
	f.fs.BoolVar(&f.fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	// Flags may come after the user name too: "vigil user add lan --role viewer".
	var positional []string
	for len(args) > 0 {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		args = f.fs.Args()
		if len(args) > 0 {
			positional, args = append(positional, args[0]), args[1:]
		}
	}
	f.fs.Parse(positional)
	if (f.config == "") == (f.data == "") {
		return nil, errors.New("give --config FILE or --data DIR (one of them)")
	}
	return f, nil
}

// openUserStore opens the index without the storage lock: users are managed while vigil runs, and SQLite
// serialises the writes.
func (f *userFlags) openUserStore() (*store.Store, *config.Config, error) {
	cfg := &config.Config{}
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return nil, nil, fmt.Errorf("invalid config:\n%w", err)
		}
	} else {
		cfg.Storage.Path = f.data
		cfg.ApplyDefaults()
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Storage.Database), 0o750); err != nil {
		return nil, nil, err
	}
	st, err := store.Open(cfg.Storage.Database)
	return st, cfg, err
}

func (f *userFlags) grants() []store.Grant {
	grants := make([]store.Grant, len(f.facility))
	for i, id := range f.facility {
		grants[i] = store.Grant{Facility: id}
	}
	return grants
}

func (f *userFlags) password(stdin io.Reader) (string, error) {
	if !f.fromStdin {
		return "", nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if line = strings.TrimRight(line, "\r\n"); line == "" {
		return "", errors.New("--password-stdin: the first line of standard input is empty")
	}
	return line, nil
}

func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("missing subcommand")
	}
	sub := args[0]
	f, err := parseUserFlags("user "+sub, args[1:], stderr)
	if err != nil {
		return err
	}
	st, cfg, err := f.openUserStore()
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &auth.Service{Store: st, Config: cfg.Auth}
	ctx := context.Background()
	username := f.fs.Arg(0)
	if sub != "list" && (f.fs.NArg() != 1 || username == "") {
		return fmt.Errorf("give exactly one user name\n%s", userUsage)
	}
	known := (&registry.Registry{Store: st, Config: cfg}).Known(ctx)
	switch sub {
	case "add":
		return userAdd(ctx, svc, f, username, known, stdin, stdout)
	case "passwd":
		pw, err := f.password(stdin)
		if err != nil {
			return err
		}
		pw, err = svc.SetPassword(ctx, username, pw, nil)
		if err != nil {
			return err
		}
		announcePassword(stdout, username, pw, !f.fromStdin)
	case "disable", "enable":
		u, err := st.UserByName(ctx, username)
		if err != nil {
			return err
		}
		a := auth.Account{Username: u.Username, Name: u.Name, Role: auth.Role(u.Role), Grants: u.Grants, Disabled: sub == "disable"}
		if err := svc.UpdateUser(ctx, a, known); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s %sd\n", username, sub)
	case "list":
		return userList(ctx, st, stdout)
	default:
		return fmt.Errorf("unknown subcommand %q\n%s", sub, userUsage)
	}
	return auditCLI(ctx, st, "user."+sub, username)
}

func userAdd(ctx context.Context, svc *auth.Service, f *userFlags, username string, known func(string) bool, stdin io.Reader, stdout io.Writer) error {
	role, err := auth.ParseRole(f.role)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	pw, err := f.password(stdin)
	if err != nil {
		return err
	}
	pw, err = svc.AddUser(ctx, auth.Account{Username: username, Name: f.name, Role: role, Grants: f.grants()}, pw, known)
	if err != nil {
		return err
	}
	announcePassword(stdout, username, pw, !f.fromStdin)
	return auditCLI(ctx, svc.Store, "user.create", username+" role="+string(role))
}

func announcePassword(w io.Writer, username, password string, generated bool) {
	if !generated {
		fmt.Fprintf(w, "password of %s set\n", username)
		return
	}
	fmt.Fprintf(w, "user %s: password: %s\n(shown once: it is stored only as a hash)\n", username, password)
}

func userList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tNAME\tROLE\tFACILITIES\tLAST LOGIN\tSTATE")
	for _, u := range users {
		var facilities []string
		for _, g := range u.Grants {
			facilities = append(facilities, g.Facility)
		}
		last, state := "never", "active"
		if u.LastLogin != 0 {
			last = time.Unix(0, u.LastLogin).Format("2006-01-02 15:04")
		}
		if u.Disabled {
			state = "disabled"
		} else if u.LockedUntil > time.Now().UnixNano() {
			state = "locked until " + time.Unix(0, u.LockedUntil).Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Name, u.Role, strings.Join(facilities, ","), last, state)
	}
	return tw.Flush()
}

func cmdToken(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(stderr, userUsage)
		return errors.New("the token command has one subcommand: add")
	}
	f, err := parseUserFlags("token add", args[1:], stderr)
	if err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return fmt.Errorf("give the token's name (who uses it)\n%s", userUsage)
	}
	st, cfg, err := f.openUserStore()
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	role, err := auth.ParseRole(f.role)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	name := f.fs.Arg(0)
	if err := auth.CheckToken(name, role, f.grants(), (&registry.Registry{Store: st, Config: cfg}).Known(ctx)); err != nil {
		return err
	}
	svc := &auth.Service{Store: st, Config: cfg.Auth}
	secret, err := svc.NewToken(ctx, &store.Token{Name: name, Role: string(role), Grants: f.grants(), CreatedBy: "command line"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %s: %s\n(shown once: it is stored only as a hash)\n", name, secret)
	return auditCLI(ctx, st, "token.create", name+" role="+string(role))
}

// auditCLI writes a change made on the command line: whoever runs it has the server's files, so the
// actor is the local operating-system user.
func auditCLI(ctx context.Context, st *store.Store, action, detail string) error {
	who := os.Getenv("USER")
	if who == "" {
		who = "unknown"
	}
	return st.AppendAudit(ctx, &store.AuditEvent{Actor: "cli:" + who, ActorKind: "system",
		Action: action, Detail: detail})
}
