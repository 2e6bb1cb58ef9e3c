#include "dolphin/bridge/bridge.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "dolphin/arrow/ipc_reader.h"
#include "dolphin/contract/epoch_sequencer.h"
#include "dolphin/contract/json_fields.h"
#include "dolphin/contract/names.h"
#include "dolphin/contract/scan_json.h"
#include "dolphin/core/json.h"

namespace dolphin::bridge {

using contract::BuildScanJson;
using contract::DecodedScan;
using contract::DecodeScan;
using contract::kFeaturesMap;
using contract::kScanKey;
using contract::PublishFields;

namespace {

namespace fs = std::filesystem;

bool IsScanFile(const std::string& name) {
  return name.size() > 6 && name[0] != '.' && name.ends_with(".arrow");
}

bool IsDayFolderName(const std::string& name) {
  if (name.size() != 10 || name[4] != '-' || name[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

// The identity of a file's content as far as stat can tell.
struct FileSig {
  int64_t size = -1;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  dev_t dev = 0;
  bool regular = false;
  bool operator==(const FileSig& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

std::optional<FileSig> Stat(const fs::path& p) {
  struct stat st;
  // Anything but a folder: a FIFO or device stands in for a hung network mount in tests.
  if (::stat(p.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return std::nullopt;
  FileSig s;
  s.size = st.st_size;
  s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  s.dev = st.st_dev;
  s.regular = S_ISREG(st.st_mode);
  return s;
}

// File systems whose reads of a regular file come from the page cache or a local disk and so
// return in microseconds (statfs f_type): the bridge reads their files on its own thread. A
// network or FUSE mount can hang a read for minutes; its files go through ReadWithTimeout.
bool IsLocalFileSystem(int64_t magic) {
  switch (magic) {
    case 0xEF53:      // ext2/3/4
    case 0x58465342:  // xfs
    case 0x9123683E:  // btrfs
    case 0x01021994:  // tmpfs
    case 0x858458F6:  // ramfs
    case 0x794C7630:  // overlayfs
    case 0xF2F52010:  // f2fs
    case 0x2FC12FC1:  // zfs
      return true;
    default: return false;
  }
}

// A folder's modification time (changes when entries are added or removed).
std::optional<int64_t> DirMtime(const fs::path& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

// Day folders of scan_dir, newest (lexically greatest YYYY-MM-DD) last.
std::vector<fs::path> DayFolders(const fs::path& scan_dir) {
  std::vector<fs::path> days;
  std::error_code ec;
  for (fs::directory_iterator it(scan_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && IsDayFolderName(it->path().filename().string())) {
      days.push_back(it->path());
    }
  }
  std::sort(days.begin(), days.end());
  return days;
}

std::vector<fs::path> ScanFilesIn(const fs::path& day) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(day, ec), end; !ec && it != end; it.increment(ec)) {
    if (IsScanFile(it->path().filename().string())) files.push_back(it->path());
  }
  return files;
}

// The result of one file read, shared with the (detachable) thread that performs it.
struct ReadJob {
  std::filesystem::path path;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Result<std::vector<uint8_t>> bytes = IoError("not read");
};

}  // namespace

Result<BridgeOptions> ParseBridgeOptions(ConfigSection s, const fs::path& state_dir) {
  BridgeOptions o;
  o.scan_dir = state_dir / "scans";
  o.quarantine_dir = state_dir / "quarantine";
  o.state_file = state_dir / "bridge_state.json";
  s.ReadPath("scan_dir", &o.scan_dir);
  s.ReadPath("quarantine_dir", &o.quarantine_dir);
  s.ReadPath("state_file", &o.state_file);
  int64_t poll_ms = 0, settle_ms = 2000, read_timeout_ms = 5000;
  s.Read("poll_interval_ms", &poll_ms, 0, 3600000);
  s.Read("settle_ms", &settle_ms, 0, 3600000);
  s.Read("read_timeout_ms", &read_timeout_ms, 1, 3600000);
  s.Read("inotify", &o.inotify);
  s.Read("max_reads_in_flight", &o.max_reads_in_flight, 1, 64);
  s.Read("log_each_scan", &o.log_each_scan);
  if (!o.inotify && poll_ms == 0) {
    s.ErrorAt("inotify", "inotify = false needs poll_interval_ms > 0, or the bridge sees nothing");
  }
  s.RejectUnknownKeys();
  o.poll_interval = std::chrono::milliseconds(poll_ms);
  o.settle = std::chrono::milliseconds(settle_ms);
  o.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  if (s.error_count() > 0) return InvalidArgumentError("invalid [bridge] section");
  return o;
}

void WriteBridgeOptions(const BridgeOptions& o, ConfigWriter& out) {
  auto ms = [](Duration d) {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  out.Section("bridge", "scan files -> DOLPHIN_FEATURES[\"latest_eigen_scan\"] (layer 2)");
  out.Value("scan_dir", o.scan_dir.string());
  out.Value("quarantine_dir", o.quarantine_dir.string());
  out.Value("state_file", o.state_file.string());
  out.Value("poll_interval_ms", ms(o.poll_interval));
  out.Value("inotify", o.inotify);
  out.Value("settle_ms", ms(o.settle));
  out.Value("read_timeout_ms", ms(o.read_timeout));
  out.Value("max_reads_in_flight", o.max_reads_in_flight);
  out.Value("log_each_scan", o.log_each_scan);
}

namespace {

// The bridge's metric handles (docs/observability.md "bridge"), taken once.
struct BridgeMeters {
  explicit BridgeMeters(Metrics& m)
      : seen(m.Counter("dolphin_bridge_scans_seen_total", "Scans decoded from files")),
        published(m.Counter("dolphin_bridge_scans_published_total", "Scans put on the bus")),
        duplicates(m.Counter("dolphin_bridge_scans_skipped_total", "Scans not published, by reason",
                             {{"reason", "duplicate"}})),
        stale(m.Counter("dolphin_bridge_scans_skipped_total", "Scans not published, by reason",
                        {{"reason", "stale"}})),
        unreadable(m.Counter("dolphin_bridge_errors_total", "Bridge errors, by kind",
                             {{"kind", "unreadable"}})),
        quarantined(m.Counter("dolphin_bridge_errors_total", "Bridge errors, by kind",
                              {{"kind", "quarantined"}})),
        put_failed(m.Counter("dolphin_bridge_errors_total", "Bridge errors, by kind",
                             {{"kind", "put_failed"}})),
        epochs(m.Counter("dolphin_bridge_epochs_started_total", "Upstream restarts (new epochs)")),
        latency(m.Histogram("dolphin_bridge_scan_publish_latency_seconds",
                            "Scan file in place -> bus put done", MetricBuckets::kLatency)),
        last_scan(m.Gauge("dolphin_bridge_last_scan_number", "Number of the last published scan")),
        last_publish(m.Gauge("dolphin_bridge_last_publish_timestamp_seconds",
                             "When the last scan was published, Unix seconds")) {}
  MetricCounter& seen;
  MetricCounter& published;
  MetricCounter& duplicates;
  MetricCounter& stale;
  MetricCounter& unreadable;
  MetricCounter& quarantined;
  MetricCounter& put_failed;
  MetricCounter& epochs;
  MetricHistogram& latency;
  MetricGauge& last_scan;
  MetricGauge& last_publish;
};

class BridgeImpl final : public Bridge {
 public:
  BridgeImpl(BridgeOptions options, bus::KvBus& bus, Env env)
      : options_(std::move(options)), bus_(bus), env_(env), meters_(env.metrics) {}
  ~BridgeImpl() override { Stop(); }

  std::string name() const override { return "bridge"; }

  Status Start() override {
    std::error_code ec;
    fs::create_directories(options_.scan_dir, ec);
    if (ec) {
      return IoError(
          fmt::format("cannot create scan_dir {}: {}", options_.scan_dir.string(), ec.message()));
    }
    LoadState();
    // Files of scan_dir's own (local) file system are read inline; see IsLocalFileSystem.
    struct statfs sfs;
    struct stat dst;
    local_dev_.reset();
    if (::statfs(options_.scan_dir.c_str(), &sfs) == 0 && IsLocalFileSystem(sfs.f_type) &&
        ::stat(options_.scan_dir.c_str(), &dst) == 0) {
      local_dev_ = dst.st_dev;
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return ErrnoError("eventfd", errno);
    if (options_.inotify) {
      inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
      if (inotify_fd_ < 0) return ErrnoError("inotify_init1", errno);
      root_wd_ = ::inotify_add_watch(inotify_fd_, options_.scan_dir.c_str(),
                                     IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
      if (root_wd_ < 0)
        return ErrnoError(fmt::format("inotify watch {}", options_.scan_dir.string()), errno);
    }
    // Watch the newest day folder before looking for the newest scan, so nothing written
    // meanwhile is missed (a scan seen twice is a duplicate and is not published again).
    auto days = DayFolders(options_.scan_dir);
    if (!days.empty()) WatchDay(days.back(), /*enqueue_existing=*/false);
    // Synchronously, so every file that appears after Start() returns counts as new.
    RepublishNewest();
    // A restarted bus cluster comes back empty: the loop then publishes the newest scan again.
    auto conn = bus_.AddConnectionListener([this](bus::ConnectionEvent e) {
      if (e != bus::ConnectionEvent::kClusterChanged) return;
      cluster_changed_ = true;
      Wake();
    });
    if (conn.ok()) {
      connection_listener_ = *conn;
    } else {
      env_.logger.Warn(
          "bridge", "no bus connection events: a restarted cluster stays empty until the next scan",
          {{"error", conn.status().ToString()}});
    }
    stop_ = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      loop_exit_reason_.clear();
    }
    loop_running_ = true;
    published_at_loop_start_ = stats_published_.load();
    // Read before the thread starts: from then on epoch_ is the bridge thread's (TSan).
    const int64_t start_epoch = epoch_;
    thread_ = std::thread([this] {  // determinism-ok: the bridge's event thread
      ::pthread_setname_np(::pthread_self(), "bridge");
      Loop();
    });
    env_.logger.Info(
        "bridge", "started",
        {{"scan_dir", options_.scan_dir.string()},
         {"mode", options_.inotify
                      ? (options_.poll_interval.count() > 0 ? "inotify+poll" : "inotify")
                      : "poll"},
         {"poll_interval",
          options_.poll_interval.count() > 0 ? FormatDuration(options_.poll_interval) : "off"},
         {"epoch", start_epoch}});
    return Status::Ok();
  }

  void Stop() override {
    if (!thread_.joinable()) return;
    if (connection_listener_) {
      (void)bus_.RemoveConnectionListener(*connection_listener_);
      connection_listener_.reset();
    }
    stop_ = true;
    Wake();
    thread_.join();
    if (have_last_) SaveState();  // the newest number, which the per-second rewrite may lack
    CloseStateFile();
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    inotify_fd_ = wake_fd_ = -1;
    // The watch descriptors belonged to the closed inotify fd; a restart adds its own.
    day_watches_.clear();
    root_wd_ = -1;
    // Hung reads keep running on their own threads; they own what they touch.
    env_.logger.Info("bridge", "stopped", {{"published", stats_published_.load()}});
  }

  runtime::ServiceHealth Health() const override {
    runtime::ServiceHealth h;
    std::lock_guard<std::mutex> lock(mu_);
    if (hung_reads_ > 0) {
      h.status = contract::HeartbeatStatus::kStalled;
      h.detail = fmt::format("{} file read(s) hung longer than {}", hung_reads_,
                             FormatDuration(options_.read_timeout));
    } else if (pending_put_) {
      h.status = contract::HeartbeatStatus::kDegraded;
      h.detail = fmt::format("bus put failing ({} failures); scan {} waiting", stats_.put_failures,
                             pending_put_->scan_number);
    } else if (stats_.last_scan_number >= 0) {
      h.detail = fmt::format("scan {} published {} ago", stats_.last_scan_number,
                             FormatDuration(env_.clock.Now() - last_publish_ts_));
    } else {
      h.detail = "waiting for the first scan";
    }
    return h;
  }

  Json StatusJson() const override {
    BridgeStats s = Stats();
    Json j;
    j["scan_dir"] = options_.scan_dir.string();
    j["published"] = s.published;
    j["duplicates"] = s.duplicates;
    j["stale"] = s.stale;
    j["quarantined"] = s.quarantined;
    j["unreadable"] = s.unreadable;
    j["put_failures"] = s.put_failures;
    j["epoch"] = s.epoch;
    j["last_scan_number"] = s.last_scan_number;
    j["reads_in_flight"] = s.reads_in_flight;
    j["cluster_republishes"] = s.cluster_republishes;
    j["assets_dropped_invalid_utf8"] = s.assets_dropped_invalid_utf8;
    return j;
  }

  BridgeStats Stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    BridgeStats s = stats_;
    s.reads_in_flight = reads_in_flight_->load();
    return s;
  }

 private:
  struct Candidate {
    fs::path path;
    bool republish = false;
  };
  struct Failure {
    FileSig sig;
    MonoTime unchanged_since;
    std::string error;
  };
  struct PendingPut {
    int64_t scan_number;
    int64_t epoch;
    Timestamp timestamp;
    std::string json;
    std::string file;
    // What `json` was built from, kept to publish it again into a restarted cluster.
    std::shared_ptr<const DecodedScan> scan;
    PublishFields fields;
  };

  void Wake() {
    uint64_t one = 1;
    if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof(one));
  }

  // ---- state file: {"epoch", "last_scan_number", "last_timestamp"} ----
  void LoadState() {
    std::ifstream in(options_.state_file);
    if (!in) return;
    std::stringstream ss;
    ss << in.rdbuf();
    auto state = ParseStateFile(ss.str(), options_.state_file.string());
    if (!state.ok()) {
      // The file is outside data: a bad one costs a new epoch, never the process.
      env_.logger.Warn(
          "bridge", "ignoring unreadable state file: starting a fresh epoch",
          {{"file", options_.state_file.string()}, {"error", state.status().message()}});
      return;
    }
    epoch_ = state->epoch;
    last_number_ = state->last_scan_number;
    if (state->last_timestamp) last_ts_ = *state->last_timestamp;
    have_last_ = last_number_ >= 0 && epoch_ != 0;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.epoch = epoch_;
  }

  struct StateFile {
    int64_t epoch = 0;
    int64_t last_scan_number = -1;
    std::optional<Timestamp> last_timestamp;
  };
  // Every field optional; a field of the wrong type is an error naming the file and the field
  // ("<file>: epoch: expected an integer, got string"). An unparseable last_timestamp is ignored
  // (as it always was): with no timestamp any lower number counts as a restart.
  static Result<StateFile> ParseStateFile(std::string_view text, const std::string& file) {
    DOLPHIN_ASSIGN_OR_RETURN(Json j, contract::ParseObject(text, file));
    StateFile s;
    DOLPHIN_ASSIGN_OR_RETURN(s.epoch, contract::GetInt64Or(j, "epoch", 0, file));
    DOLPHIN_ASSIGN_OR_RETURN(s.last_scan_number,
                             contract::GetInt64Or(j, "last_scan_number", -1, file));
    DOLPHIN_ASSIGN_OR_RETURN(std::string ts, contract::GetStringOr(j, "last_timestamp", "", file));
    if (auto parsed = ParseRfc3339(ts); parsed.ok()) s.last_timestamp = *parsed;
    return s;
  }

  // The state file is one record of kStateRecordBytes: the JSON, spaces, a newline. Not synced:
  // it must survive a killed bridge, and an fsync would put milliseconds on the publish path;
  // after a power loss an unreadable file means a fresh epoch (logged). The first save of a run
  // writes the file whole (WriteAtomically: a temporary file renamed over the old one); later
  // saves overwrite the record in place with one pwrite on a descriptor kept open, ~200 us less
  // CPU per save on ext4 than a new file and a rename (docs/performance.md). One write of a
  // record inside the file's first page is never torn by a killed process (the old record or
  // the new one). A file replaced or removed meanwhile (another inode at the path) is written
  // whole again.
  static constexpr size_t kStateRecordBytes = 256;

  void SaveState() {
    state_saved_ = true;
    last_state_save_ = env_.clock.MonotonicNow();
    Json j;
    j["epoch"] = epoch_;
    j["last_scan_number"] = last_number_;
    j["last_timestamp"] = FormatRfc3339(last_ts_);
    std::string record = DumpJson(j);
    if (record.size() < kStateRecordBytes) record.resize(kStateRecordBytes - 1, ' ');
    record += '\n';
    const bool fixed = record.size() == kStateRecordBytes;
    if (state_fd_ >= 0) {
      struct stat at_path, held;
      if (fixed && ::fstat(state_fd_, &held) == 0 &&
          ::stat(options_.state_file.c_str(), &at_path) == 0 && at_path.st_ino == held.st_ino &&
          at_path.st_dev == held.st_dev &&
          ::pwrite(state_fd_, record.data(), record.size(), 0) ==
              static_cast<ssize_t>(record.size())) {
        return;
      }
      CloseStateFile();  // replaced, removed or failing: the whole file again, below
    }
    Status st = env_.fs.WriteAtomically(options_.state_file, record, {.sync = false, .mode = 0644});
    if (!st.ok()) {
      env_.logger.Warn("bridge", "cannot write state file",
                       {{"file", options_.state_file.string()}, {"error", st.message()}});
      return;
    }
    if (fixed) state_fd_ = ::open(options_.state_file.c_str(), O_WRONLY | O_CLOEXEC);
  }

  void CloseStateFile() {
    if (state_fd_ >= 0) ::close(state_fd_);
    state_fd_ = -1;
  }

  // ---- watching ----
  void WatchDay(const fs::path& day, bool enqueue_existing) {
    if (inotify_fd_ >= 0) {
      int wd = ::inotify_add_watch(inotify_fd_, day.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
      if (wd >= 0) {
        day_watches_[wd] = day;
        // Keep only the two newest day folders watched.
        while (day_watches_.size() > 2) {
          auto oldest = std::min_element(day_watches_.begin(), day_watches_.end(),
                                         [](auto& a, auto& b) { return a.second < b.second; });
          ::inotify_rm_watch(inotify_fd_, oldest->first);
          day_watches_.erase(oldest);
        }
      } else {
        env_.logger.Warn("bridge", "cannot watch day folder",
                         {{"dir", day.string()}, {"error", std::strerror(errno)}});
      }
    }
    if (enqueue_existing) {
      // Files created before the watch was in place (a brand-new day folder).
      auto files = ScanFilesIn(day);
      std::sort(files.begin(), files.end());
      for (auto& f : files) Enqueue(Candidate{f, false});
    }
  }

  void Enqueue(Candidate c) {
    if (queued_.insert(c.path.native()).second) queue_.push_back(std::move(c));
  }

  void DrainInotify() {
    alignas(struct inotify_event) char buf[64 * 1024];
    while (true) {
      ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
      if (n <= 0) return;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<struct inotify_event*>(p);
        p += sizeof(struct inotify_event) + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
          env_.logger.Warn("bridge", "inotify queue overflow: rescanning the newest day folder");
          RescanNewestDay();
          continue;
        }
        if (ev->len == 0) continue;
        std::string name(ev->name);
        if (ev->wd == root_wd_) {
          if ((ev->mask & IN_ISDIR) && IsDayFolderName(name)) {
            WatchDay(options_.scan_dir / name, /*enqueue_existing=*/true);
          }
          continue;
        }
        auto it = day_watches_.find(ev->wd);
        if (it != day_watches_.end() && IsScanFile(name))
          Enqueue(Candidate{it->second / name, false});
      }
    }
  }

  void RescanNewestDay() {
    auto days = DayFolders(options_.scan_dir);
    if (days.empty()) return;
    auto files = ScanFilesIn(days.back());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      if (done_.count(f.native()) == 0) Enqueue(Candidate{f, false});
    }
  }

  // mtime polling of the newest day folder: a new or changed file is taken once it has been
  // seen unchanged by two consecutive polls.
  void Poll() {
    // Cheap when nothing happened: a folder's mtime changes when entries are added, so an
    // unchanged scan_dir and newest day folder with nothing pending means nothing to list.
    auto root_mtime = DirMtime(options_.scan_dir);
    auto day_mtime = poll_day_.empty() ? std::nullopt : DirMtime(poll_day_);
    if (poll_seen_.empty() && root_mtime && day_mtime && *root_mtime == poll_root_mtime_ &&
        *day_mtime == poll_day_mtime_) {
      return;
    }
    if (root_mtime) poll_root_mtime_ = *root_mtime;
    auto days = DayFolders(options_.scan_dir);
    if (days.empty()) return;
    if (auto m = DirMtime(days.back())) poll_day_mtime_ = *m;
    std::vector<fs::path> dirs = {days.back()};
    if (days.size() >= 2 && poll_day_ != days.back())
      dirs.insert(dirs.begin(), days[days.size() - 2]);
    poll_day_ = days.back();
    std::map<fs::path, FileSig> seen;
    for (const auto& d : dirs) {
      for (auto& f : ScanFilesIn(d)) {
        if (done_.count(f.native()) > 0) continue;
        auto sig = Stat(f);
        if (!sig) continue;
        seen[f] = *sig;
        auto prev = poll_seen_.find(f);
        if (prev != poll_seen_.end() && prev->second == *sig) Enqueue(Candidate{f, false});
      }
    }
    poll_seen_ = std::move(seen);
  }

  // ---- reading ----
  // The inline read of a file that Stat() saw as a local regular file. It is opened without
  // blocking and checked again on its descriptor: a path replaced in between by a FIFO or a
  // link to another file system gives std::nullopt (the caller reads it on a timed thread).
  std::optional<Result<std::vector<uint8_t>>> ReadLocalFile(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return Result<std::vector<uint8_t>>(ErrnoError(path.string(), errno));
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != *local_dev_) {
      ::close(fd);
      return std::nullopt;
    }
    return arrow::ReadOpenFile(fd, st, path.string());
  }

  // Reads on a detachable thread so a hung mount blocks neither the loop nor shutdown.
  std::optional<Result<std::vector<uint8_t>>> ReadWithTimeout(const fs::path& path) {
    auto job = std::make_shared<ReadJob>();
    job->path = path;
    ++*reads_in_flight_;
    std::thread([job, path, in_flight = reads_in_flight_] {  // determinism-ok: reader thread
      ::pthread_setname_np(::pthread_self(), "bridge-read");
      auto bytes = arrow::ReadFileBytes(path.string());
      std::lock_guard<std::mutex> lock(job->mu);
      job->bytes = std::move(bytes);
      job->done = true;
      job->cv.notify_all();
      --*in_flight;
    })
        .detach();
    std::unique_lock<std::mutex> lock(job->mu);
    // The deadline is on the clock (a SimulatedClock drives it in tests); with the SystemClock
    // it guards against a real kernel read that does not return.
    if (!env_.clock.WaitFor(options_.read_timeout, lock, job->cv, [&] { return job->done; })) {
      // job->mu is released before mu_ is taken: ReapHungReads takes them the other way round.
      lock.unlock();
      std::lock_guard<std::mutex> l(mu_);
      ++hung_reads_;
      ++stats_.unreadable;
      meters_.unreadable.Increment();
      hung_.push_back(job);
      return std::nullopt;
    }
    return std::move(job->bytes);
  }

  // A hung read to reap or a bus put to retry: work the loop must come back to on its own.
  bool PendingTimedWork() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !hung_.empty() || pending_put_.has_value();
  }

  // A hung read that finally returned: its file is tried again from the start.
  void ReapHungReads() {
    std::vector<fs::path> retry;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::erase_if(hung_, [&](const std::shared_ptr<ReadJob>& j) {
        std::lock_guard<std::mutex> l(j->mu);
        if (j->done) {
          --hung_reads_;
          retry.push_back(j->path);
        }
        return j->done;
      });
    }
    for (auto& p : retry) {
      hung_paths_.erase(p);
      Enqueue(Candidate{p, false});
    }
  }

  // ---- processing ----
  void Process(const Candidate& c) {
    const std::string file = c.path.filename().string();
    if (reads_in_flight_->load() >= options_.max_reads_in_flight) {
      retry_later_.push_back(c);
      return;
    }
    auto sig = Stat(c.path);
    if (!sig) {
      failures_.erase(c.path);
      return;  // Vanished (moved away, quarantined by someone else): nothing to do.
    }
    if (hung_paths_.count(c.path) > 0) return;  // Retried when its hung read returns.
    // A regular file on scan_dir's local file system is read here (tens of microseconds from
    // the page cache); anything else (a network mount, a FIFO) on a thread with a timeout.
    std::optional<Result<std::vector<uint8_t>>> bytes;
    if (sig->regular && local_dev_ && sig->dev == *local_dev_) bytes = ReadLocalFile(c.path);
    if (!bytes) bytes = ReadWithTimeout(c.path);
    if (!bytes) {
      env_.logger.Warn("bridge", "file read hung; will retry when it returns",
                       {{"file", file}, {"timeout", FormatDuration(options_.read_timeout)}});
      hung_paths_.insert(c.path);
      return;
    }
    if (!bytes->ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.unreadable;
      meters_.unreadable.Increment();
      env_.logger.Warn("bridge", "cannot read file",
                       {{"file", file}, {"error", bytes->status().message()}});
      return;
    }
    auto scan = DecodeScan(**bytes);
    if (!scan.ok()) {
      NoteFailure(c, *sig, scan.status().message());
      return;
    }
    failures_.erase(c.path);
    MarkDone(c.path);
    if (const int64_t dropped = scan->assets_dropped_invalid_utf8; dropped > 0) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.assets_dropped_invalid_utf8 += static_cast<uint64_t>(dropped);
      }
      env_.logger.Warn("bridge",
                       "assets with a symbol that is not valid UTF-8 left out of the scan",
                       {{"file", file}, {"dropped", dropped}});
    }
    Decide(std::make_shared<const DecodedScan>(std::move(scan).value()), file, c.republish, *sig);
  }

  void MarkDone(const fs::path& p) {
    if (done_.insert(p.native()).second) done_order_.push_back(p.native());
    while (done_order_.size() > 20000) {
      done_.erase(done_order_.front());
      done_order_.pop_front();
    }
  }

  void NoteFailure(const Candidate& c, const FileSig& sig, const std::string& error) {
    const MonoTime now = env_.clock.MonotonicNow();
    auto it = failures_.find(c.path);
    if (it == failures_.end() || !(it->second.sig == sig)) {
      if (it == failures_.end()) {
        env_.logger.Info("bridge", "file does not parse yet; waiting for it to settle",
                         {{"file", c.path.filename().string()}, {"error", error}});
      }
      failures_[c.path] = Failure{sig, now, error};
      return;
    }
    it->second.error = error;
  }

  // Retries failed files that changed; quarantines those unchanged for `settle`.
  void CheckFailures() {
    const MonoTime now = env_.clock.MonotonicNow();
    std::vector<fs::path> paths;
    for (auto& [p, f] : failures_) paths.push_back(p);
    for (const auto& p : paths) {
      auto it = failures_.find(p);
      auto sig = Stat(p);
      if (!sig) {
        failures_.erase(it);
        continue;
      }
      if (!(*sig == it->second.sig)) {
        Enqueue(Candidate{p, false});  // Still changing: try again.
      } else if (now - it->second.unchanged_since >= options_.settle) {
        Quarantine(p, it->second.error);
        failures_.erase(p);
      }
    }
  }

  void Quarantine(const fs::path& p, const std::string& error) {
    MarkDone(p);
    std::error_code ec;
    fs::create_directories(options_.quarantine_dir, ec);
    fs::path dest = options_.quarantine_dir / p.filename();
    if (!ec) fs::rename(p, dest, ec);
    if (ec == std::errc::cross_device_link) {
      ec.clear();
      fs::copy_file(p, dest, fs::copy_options::overwrite_existing, ec);
      if (!ec) fs::remove(p, ec);
    }
    if (ec) {
      env_.logger.Warn("bridge", "unparseable file could not be quarantined; skipped",
                       {{"file", p.string()}, {"error", error}, {"move_error", ec.message()}});
      return;
    }
    std::ofstream(dest.string() + ".reason") << fmt::format(
        "{}: {}\nquarantined at {}\n", p.string(), error, FormatRfc3339(env_.clock.Now()));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.quarantined;
    }
    meters_.quarantined.Increment();
    env_.logger.Warn("bridge", "quarantined unparseable file",
                     {{"file", p.filename().string()}, {"to", dest.string()}, {"error", error}});
  }

  void Decide(std::shared_ptr<const DecodedScan> scan_ptr, const std::string& file, bool republish,
              const FileSig& sig) {
    const DecodedScan& scan = *scan_ptr;
    const int64_t n = scan.scan_number;
    meters_.seen.Increment();
    contract::SequencePosition last;
    last.epoch = epoch_;
    if (have_last_) last.scan_number = last_number_;
    last.timestamp = last_ts_;
    using contract::SequenceDecision;
    SequenceDecision d = contract::EpochSequencer::Decide(last, n, scan.timestamp);
    // The one re-publication at start is published whatever its place in the sequence, and the
    // same number again never starts an epoch.
    if (republish && d == SequenceDecision::kNewEpoch && have_last_ && n == last_number_) {
      d = SequenceDecision::kNew;
    }
    const bool new_epoch = d == SequenceDecision::kNewEpoch;
    if (new_epoch && have_last_) {
      // Lower or equal number, newer time: the upstream scanner restarted.
      env_.logger.Warn("bridge", "upstream restart detected: new epoch",
                       {{"scan", n}, {"last_scan", last_number_}, {"file", file}});
    } else if ((d == SequenceDecision::kDuplicate || d == SequenceDecision::kStale) && !republish) {
      std::lock_guard<std::mutex> lock(mu_);
      if (d == SequenceDecision::kDuplicate) {
        ++stats_.duplicates;
        meters_.duplicates.Increment();
      } else {
        ++stats_.stale;
        meters_.stale.Increment();
      }
      env_.logger.Info("bridge",
                       d == SequenceDecision::kDuplicate ? "duplicate scan not published"
                                                         : "stale scan not published",
                       {{"scan", n}, {"last_scan", last_number_}, {"file", file}});
      return;
    }
    if (new_epoch) {
      epoch_ = contract::EpochSequencer::Advance(last, n, scan.timestamp, d).epoch;
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.epochs_started;
      meters_.epochs.Increment();
    }
    for (const auto& c : scan.collisions) {
      if (logged_collisions_.insert(c).second) {
        env_.logger.Warn("bridge", "scan column replaced by the bridge's field of the same name",
                         {{"column", c}});
      }
    }
    PublishFields f;
    f.epoch = epoch_;
    f.bridge_ts = env_.clock.Now();
    f.file = file;
    f.republished = republish;
    // A republished file older than the last published scan does not move the sequence back.
    if (!(republish && have_last_ && n < last_number_)) {
      last_number_ = n;
      last_ts_ = scan.timestamp;
    }
    have_last_ = true;
    PendingPut put{n, epoch_, scan.timestamp, BuildScanJson(scan, f), file, scan_ptr, f};
    // A new epoch is persisted before the put: a bridge killed right after publishing must
    // come back in the same epoch, or a consumer would see the same scan again under a new
    // epoch. Otherwise the state file (only the last number changes) is rewritten after the put
    // and at most once a second: replacing a file costs 0.2-3 ms on ext4, and a restarted
    // bridge with a slightly older last number still stays in the same epoch.
    const bool persist_first = new_epoch || !state_saved_;
    if (persist_first) SaveState();
    Status st = bus_.Put(kFeaturesMap, kScanKey, put.json);
    if (!st.ok()) {
      OnPutFailure(std::move(put), st);
    } else {
      OnPublished(put, f.bridge_ts, republish);
      // File in place (its ctime) -> published: the bridge's part of DESIGN §8's budget.
      if (!republish) {
        meters_.latency.Observe(
            std::chrono::duration<double>(env_.clock.Now() - Timestamp::FromUnixNanos(sig.ctime_ns))
                .count());
      }
    }
    if (!persist_first && env_.clock.MonotonicNow() - last_state_save_ >= std::chrono::seconds(1))
      SaveState();
    if (st.ok() && options_.log_each_scan) {
      const Duration latency = f.bridge_ts - Timestamp::FromUnixNanos(sig.ctime_ns);
      env_.logger.Info("bridge", republish ? "republished newest scan" : "published scan",
                       {{"scan", n},
                        {"regime", scan.regime.empty() ? "-" : scan.regime},
                        {"vel_div", scan.has_vel_div ? fmt::format("{:.5f}", scan.vel_div) : "-"},
                        {"latency", FormatDuration(latency)},
                        {"epoch", epoch_},
                        {"file", file}});
    }
  }

  void OnPublished(const PendingPut& put, Timestamp ts, bool republish) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.published;
    stats_published_ = stats_.published;
    meters_.published.Increment();
    meters_.last_scan.Set(static_cast<double>(put.scan_number));
    meters_.last_publish.Set(static_cast<double>(ts.UnixNanos()) / 1e9);
    stats_.last_scan_number = put.scan_number;
    stats_.epoch = put.epoch;
    last_publish_ts_ = ts;
    pending_put_.reset();
    // Without the JSON text: rebuilt from `scan` when needed.
    last_published_ =
        PendingPut{put.scan_number, put.epoch, put.timestamp, "", put.file, put.scan, put.fields};
    (void)republish;
  }

  void OnPutFailure(PendingPut put, const Status& st) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.put_failures;
    meters_.put_failed.Increment();
    env_.logger.Warn(
        "bridge", "bus put failed; will retry the newest scan",
        {{"scan", put.scan_number}, {"error", st.ToString()}, {"failures", stats_.put_failures}});
    pending_put_ = std::move(put);
    put_retry_at_ = env_.clock.MonotonicNow() + put_backoff_;
    put_backoff_ = std::min<Duration>(put_backoff_ * 2, std::chrono::seconds(2));
  }

  void RetryPut() {
    std::optional<PendingPut> put;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pending_put_ || env_.clock.MonotonicNow() < put_retry_at_) return;
      put = pending_put_;
    }
    Status st = bus_.Put(kFeaturesMap, kScanKey, put->json);
    if (st.ok()) {
      OnPublished(*put, env_.clock.Now(), false);
      put_backoff_ = std::chrono::milliseconds(50);
      env_.logger.Info("bridge", "bus put recovered",
                       {{"scan", put->scan_number}, {"file", put->file}});
    } else {
      OnPutFailure(std::move(*put), st);
    }
  }

  // The bus came back as a different (restarted, empty) cluster: publish the newest published
  // scan again, as built before but with republished=true and a fresh bridge_ts, so consumers
  // that start against the new cluster find a value. A scan still waiting for its put is
  // newer and goes out with the next retry instead (now).
  void RepublishAfterClusterChange() {
    std::optional<PendingPut> last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_put_) {
        put_retry_at_ = env_.clock.MonotonicNow();
        env_.logger.Warn(
            "bridge", "bus cluster changed (restarted, empty); the pending scan is published next",
            {{"scan", pending_put_->scan_number}, {"file", pending_put_->file}});
        return;
      }
      last = last_published_;
    }
    if (!last || !last->scan) {
      env_.logger.Warn(
          "bridge",
          "bus cluster changed (restarted, empty); no scan published yet, nothing to republish");
      return;
    }
    last->fields.bridge_ts = env_.clock.Now();
    last->fields.republished = true;
    last->json = BuildScanJson(*last->scan, last->fields);
    Status st = bus_.Put(kFeaturesMap, kScanKey, last->json);
    if (!st.ok()) {
      OnPutFailure(std::move(*last), st);
      return;
    }
    OnPublished(*last, last->fields.bridge_ts, true);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.cluster_republishes;
    }
    env_.logger.Warn("bridge",
                     "bus cluster changed (restarted, empty): republished the newest scan",
                     {{"scan", last->scan_number}, {"epoch", last->epoch}, {"file", last->file}});
  }

  // The newest existing scan, published once at start.
  void RepublishNewest() {
    auto days = DayFolders(options_.scan_dir);
    for (auto d = days.rbegin(); d != days.rend(); ++d) {
      auto files = ScanFilesIn(*d);
      if (files.empty()) continue;
      // Newest by modification time, then by name.
      std::vector<std::pair<int64_t, fs::path>> by_time;
      for (auto& f : files) {
        if (auto s = Stat(f)) by_time.emplace_back(s->mtime_ns, f);
      }
      std::sort(by_time.begin(), by_time.end());
      for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) {
        MarkDone(it->second);  // Older files in the backlog are not replayed.
      }
      if (!by_time.empty()) {
        Process(Candidate{by_time.back().second, true});
        return;
      }
    }
  }

  runtime::ServiceLiveness Liveness() const override {
    if (loop_running_) return {};
    std::lock_guard<std::mutex> lock(mu_);
    return {false, loop_exit_reason_};
  }

  void Loop() {
    RunLoop();
    if (!stop_) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (loop_exit_reason_.empty()) loop_exit_reason_ = "run loop returned";
      }
      env_.logger.Error("bridge",
                        "event loop returned: no scans are published until the bridge is restarted",
                        {{"published", stats_published_.load()}});
    }
    loop_running_ = false;
  }

  void RunLoop() {
    const Duration tick = std::chrono::milliseconds(100);
    MonoTime next_poll = env_.clock.MonotonicNow();
    while (!stop_) {
      if (options_.exit_loop_after_for_test > 0 && !test_exit_done_ &&
          stats_published_.load() - published_at_loop_start_ >= options_.exit_loop_after_for_test) {
        test_exit_done_ = true;
        std::lock_guard<std::mutex> lock(mu_);
        loop_exit_reason_ = fmt::format("run loop returned: test exit after {} scans",
                                        options_.exit_loop_after_for_test);
        return;
      }
      if (cluster_changed_.exchange(false)) RepublishAfterClusterChange();
      // Work first, then wait for inotify, the wake fd, or the next tick/poll.
      while (!queue_.empty() && !stop_) {
        Candidate c = std::move(queue_.front());
        queue_.pop_front();
        queued_.erase(c.path.native());
        if (done_.count(c.path.native()) > 0) continue;
        Process(c);
      }
      ReapHungReads();
      for (auto& c : retry_later_) Enqueue(std::move(c));
      retry_later_.clear();
      RetryPut();
      CheckFailures();
      if (options_.poll_interval.count() > 0 && env_.clock.MonotonicNow() >= next_poll) {
        Poll();
        next_poll = env_.clock.MonotonicNow() + options_.poll_interval;
      }
      if (!queue_.empty()) continue;
      // Idle with nothing pending, the loop sleeps until inotify or the wake fd: a 100 ms tick
      // costs ~0.7 ms of CPU a second on a VM, more than a scan a second does. Pending work
      // (a failed file settling, a hung read, a put to retry, files held back by the read cap,
      // mtime polling, the test exit) is looked at every tick, on the Clock's deadlines.
      const bool pending = !failures_.empty() || !retry_later_.empty() ||
                           options_.exit_loop_after_for_test > 0 || PendingTimedWork();
      Duration wait = pending ? tick : Duration(-1);
      if (options_.poll_interval.count() > 0) {
        const Duration to_poll =
            std::max<Duration>(next_poll - env_.clock.MonotonicNow(), Duration(0));
        wait = wait < Duration(0) ? to_poll : std::min(wait, to_poll);
      }
      struct pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
      int nfds = inotify_fd_ >= 0 ? 2 : 1;
      const int timeout_ms =
          wait < Duration(0)
              ? -1
              : std::max(1,
                         static_cast<int>(
                             std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
      // determinism-ok: a kernel wait on inotify and the wake fd (the inotify->publish hot
      // path); the poll and settle deadlines are read from the Clock.
      int r = ::poll(fds, nfds, timeout_ms);
      if (r > 0) {
        if (fds[0].revents & POLLIN) {
          uint64_t v;
          (void)!::read(wake_fd_, &v, sizeof(v));
        }
        if (nfds == 2 && (fds[1].revents & POLLIN)) DrainInotify();
      }
    }
  }

  const BridgeOptions options_;
  bus::KvBus& bus_;
  Env env_;
  BridgeMeters meters_;

  // Loop-thread state.
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> loop_running_{false};
  std::string loop_exit_reason_;  // guarded by mu_
  uint64_t published_at_loop_start_ = 0;
  bool test_exit_done_ = false;  // the event thread's
  bool state_saved_ = false;     // the state file was written by this run (bridge thread)
  MonoTime last_state_save_;     // when (bridge thread)
  std::atomic<bool> cluster_changed_{false};  // set by the bus's connection listener
  std::optional<bus::ListenerId> connection_listener_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  int state_fd_ = -1;  // the state file, open for in-place rewrites (bridge thread; see SaveState)
  std::optional<dev_t> local_dev_;  // scan_dir's device when its file system is local
  int root_wd_ = -1;
  std::map<int, fs::path> day_watches_;
  std::deque<Candidate> queue_;
  // Keyed by the path's text: hashing a string is far cheaper than fs::path's per-component
  // comparison (done_ holds up to 20000 names and is looked up several times a scan).
  std::unordered_set<std::string> queued_;
  std::vector<Candidate> retry_later_;
  std::set<fs::path> hung_paths_;
  std::unordered_set<std::string> done_;
  std::deque<std::string> done_order_;
  std::map<fs::path, Failure> failures_;
  std::map<fs::path, FileSig> poll_seen_;
  fs::path poll_day_;
  int64_t poll_root_mtime_ = 0;
  int64_t poll_day_mtime_ = 0;
  std::set<std::string> logged_collisions_;
  int64_t epoch_ = 0;
  int64_t last_number_ = -1;
  Timestamp last_ts_;
  bool have_last_ = false;
  Duration put_backoff_ = std::chrono::milliseconds(50);
  MonoTime put_retry_at_;
  // Shared with reader threads, which may outlive the bridge when a read hangs.
  std::shared_ptr<std::atomic<int>> reads_in_flight_ = std::make_shared<std::atomic<int>>(0);

  // Shared with Health/Stats callers.
  mutable std::mutex mu_;
  BridgeStats stats_;
  std::atomic<uint64_t> stats_published_{0};
  Timestamp last_publish_ts_;
  std::optional<PendingPut> pending_put_;
  std::optional<PendingPut> last_published_;  // without json
  int hung_reads_ = 0;
  std::vector<std::shared_ptr<ReadJob>> hung_;
};

}  // namespace

std::unique_ptr<Bridge> NewBridge(BridgeOptions options, bus::KvBus& bus, Env env) {
  return std::make_unique<BridgeImpl>(std::move(options), bus, env);
}

}  // namespace dolphin::bridge
