/* Loket's upload widget: templates/files/_uploader.html.
 *
 * For each file picked or dropped on a `.uploader`: a resumable tus upload
 * (vendored tus-js-client) to `data-endpoint` with a progress bar, then a POST
 * of `upload=<uuid>` plus `data-commit-fields` to `data-commit-url` (CSRF
 * header from the cookie). The commit's HTML answer replaces the content of
 * `data-target`; without a target the page reloads once every file is in.
 * A 409 `{"clash": true}` asks "new version or keep both" and commits again
 * with `on_clash`. A dropped connection is retried, and a page reloaded in the
 * middle of an upload resumes it (tus fingerprints kept in localStorage).
 *
 * When the files are stored on S3 the element has `data-s3-uploads` (the
 * /api/v1/s3-uploads URL) and each file goes straight to the bucket instead,
 * by multipart upload (see "Direct uploads" below); the commit is the same.
 *
 * Every string shown comes from the element's data-msg-* attributes, which the
 * template translates.
 */
(function () {
  "use strict";
  if (window.LoketUploader) return;

  var DEFAULT_ENDPOINT = "/api/v1/uploads/";
  var CHUNK_SIZE = 64 * 1024 * 1024; // one PATCH per 64 MiB: fits a proxy's body limit
  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function message(root, key) {
    return root.getAttribute("data-msg-" + key) || "";
  }

  function commitFields(root) {
    var raw = root.getAttribute("data-commit-fields");
    if (!raw) return {};
    try {
      return JSON.parse(raw);
    } catch (error) {
      return {};
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /* The server's {"detail": "..."} of a refused request, if it sent one. */
  function detailOf(body) {
    try {
      var detail = JSON.parse(body).detail;
      if (typeof detail === "string") return detail;
      if (Array.isArray(detail)) {
        return detail.map(function (item) { return item.msg || ""; }).join(" ");
      }
    } catch (error) {
      /* not JSON */
    }
    return "";
  }

  function Item(root, file) {
    this.root = root;
    this.file = file;
    this.node = el("li", "uploader-item");
    this.name = el("span", "uploader-name", file.name);
    this.bar = el("progress", "uploader-progress");
    this.bar.max = 100;
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", file.name);
    this.status = el("span", "uploader-status", message(root, "waiting"));
    this.actions = el("span", "uploader-actions");
    this.node.append(this.name, this.bar, this.status, this.actions);
    root.querySelector(".uploader-list").append(this.node);
  }

  /* state: "busy", "done", "error" or "cancelled". */
  Item.prototype.say = function (text, state) {
    this.status.textContent = text;
    this.state = state;
    this.node.classList.remove("is-error", "is-done", "is-busy", "is-cancelled");
    this.node.classList.add("is-" + state);
  };

  Item.prototype.buttons = function (list) {
    this.actions.textContent = "";
    var self = this;
    list.forEach(function (entry) {
      var button = el("button", "link-button", entry[0]);
      button.type = "button";
      button.addEventListener("click", function () {
        self.actions.textContent = "";
        entry[1]();
      });
      self.actions.append(button);
    });
  };

  function Widget(root) {
    this.root = root;
    this.items = [];
    var self = this;
    var input = root.querySelector("input[type=file]");
    if (!root.querySelector(".uploader-list")) {
      var list = el("ul", "uploader-list");
      list.setAttribute("aria-live", "polite");
      root.append(list);
    }
    if (input) {
      input.addEventListener("change", function () {
        self.add(input.files);
        input.value = "";
      });
    }
    root.addEventListener("dragover", function (event) {
      event.preventDefault();
      root.classList.add("is-dragover");
    });
    root.addEventListener("dragleave", function (event) {
      if (!root.contains(event.relatedTarget)) root.classList.remove("is-dragover");
    });
    root.addEventListener("drop", function (event) {
      event.preventDefault();
      root.classList.remove("is-dragover");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        var files = event.dataTransfer.files;
        self.add(input && !input.multiple ? [files[0]] : files);
      }
    });
  }

  Widget.prototype.add = function (files) {
    for (var i = 0; i < files.length; i++) {
      var item = new Item(this.root, files[i]);
      this.items.push(item);
      this.start(item);
    }
  };

  Widget.prototype.start = function (item) {
    // Files stored on S3: straight to the bucket (below), not through tus.
    if (this.root.getAttribute("data-s3-uploads")) return this.startDirect(item);
    var self = this;
    var root = this.root;
    var entity = root.getAttribute("data-entity") || "";
    var endpoint = root.getAttribute("data-endpoint") || DEFAULT_ENDPOINT;
    item.say(message(root, "waiting"), "busy");
    var upload = new window.tus.Upload(item.file, {
      endpoint: endpoint,
      chunkSize: CHUNK_SIZE,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: item.file.name, filetype: item.file.type, entity: entity },
      headers: { "X-CSRFToken": csrfToken() },
      // The same file for another entity is another upload.
      fingerprint: function (file, options) {
        return Promise.resolve(
          ["loket-tus", options.endpoint, entity, file.name, file.type, file.size,
            file.lastModified].join("/")
        );
      },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) {
        var percent = total ? Math.floor((sent / total) * 100) : 0;
        item.bar.value = percent;
        item.say(message(root, "uploading") + " " + percent + "%", "busy");
      },
      onShouldRetry: function (error, attempt, options) {
        var status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        var retry = !status || status >= 500 || status === 409 || status === 423;
        if (retry && navigator.onLine !== false) item.say(message(root, "retrying"), "busy");
        return retry;
      },
      onError: function (error) {
        var response = error.originalResponse;
        var detail = response ? detailOf(response.getBody()) : "";
        var status = response ? response.getStatus() : 0;
        var text = detail || message(root, status ? "failed" : "network");
        // A refusal (too large, blocked, no access) does not change by retrying.
        var refused = status >= 400 && status < 500 && status !== 409 && status !== 423;
        self.failed(item, text, refused ? null : function () { self.start(item); });
      },
      onSuccess: function () {
        item.bar.value = 100;
        self.commit(item, upload.url.split("/").pop(), "");
      },
    });
    item.buttons([[message(root, "cancel"), function () {
      upload.abort(true);
      item.say(message(root, "cancelled"), "cancelled");
      self.finish();
    }]]);
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        item.say(message(root, "resuming"), "busy");
        upload.resumeFromPreviousUpload(previous[0]);
      }
      upload.start();
    });
  };

  /* ---- Direct uploads to the S3 bucket (data-s3-uploads) ----
   *
   * POST <base> {entity, filename, size} → {upload, part_size, part_count};
   * POST <base>/<upload>/parts {parts: [n…]} → pre-signed PUT URLs, each
   * signed for its part's exact size; PUT each Blob slice there (a few at a
   * time, each retried a few times, the URL re-signed when it was refused);
   * POST <base>/<upload>/finish {parts: [{number, etag}…]}; then the commit.
   * "Stop" sends DELETE <base>/<upload>.
   *
   * What resumes: the API cannot list the parts already in the bucket, so the
   * upload's id and the ETag of every part the bucket accepted are kept in
   * localStorage (per entity, name, size and date of the file). Trying again,
   * or picking the same file after a reload, sends only the parts missing
   * from that list (a part cut off midway starts again). An upload the server
   * no longer knows (expired, another user) starts afresh.
   */
  var PARALLEL_PARTS = 3;
  var PART_RETRY_DELAYS = [1000, 3000, 10000, 20000];
  var SIGN_BATCH = 20;
  var SIGNED_URL_AGE = 10 * 60 * 1000; // they are valid 15 minutes

  /* A refused or failed step: status 0 when the server was not reached. */
  function Failure(status, detail, stage) {
    this.status = status;
    this.detail = detail || "";
    this.stage = stage;
  }

  function api(method, url, payload, stage) {
    var headers = { "X-CSRFToken": csrfToken() };
    if (payload) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method,
      body: payload ? JSON.stringify(payload) : undefined,
      credentials: "same-origin",
      headers: headers,
    }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) throw new Failure(response.status, detailOf(text), stage);
        return text ? JSON.parse(text) : null;
      });
    }, function () {
      throw new Failure(0, "", stage);
    });
  }

  function directKey(base, entity, file) {
    return ["loket-s3", base, entity, file.name, file.type, file.size,
      file.lastModified].join("/");
  }

  function recall(key) {
    try {
      var state = JSON.parse(window.localStorage.getItem(key) || "null");
      if (state && new Date(state.expires_at) > new Date()) return state;
    } catch (error) {
      /* unreadable: start afresh */
    }
    forget(key);
    return null;
  }

  function remember(key, state) {
    try {
      window.localStorage.setItem(key, JSON.stringify(state));
    } catch (error) {
      /* storage full or off: the upload still goes, it just cannot resume */
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* nothing to forget */
    }
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  Widget.prototype.startDirect = function (item, fresh) {
    var self = this;
    var root = this.root;
    var file = item.file;
    var base = root.getAttribute("data-s3-uploads").replace(/\/$/, "");
    var entity = root.getAttribute("data-entity") || "";
    var key = directKey(base, entity, file);
    var saved = fresh ? null : recall(key);
    var job = { base: base, key: key, file: file, state: saved, urls: {}, xhrs: [],
      loaded: {}, stopped: false, halted: false };
    item.job = job;
    item.say(message(root, saved ? "resuming" : "waiting"), "busy");
    item.buttons([[message(root, "cancel"), function () {
      job.stopped = true;
      job.xhrs.forEach(function (xhr) { xhr.abort(); });
      if (job.state) api("DELETE", base + "/" + job.state.upload, null, "discard")
        .catch(function () { /* it expires */ });
      forget(key);
      item.say(message(root, "cancelled"), "cancelled");
      self.finish();
    }]]);

    var started = saved ? Promise.resolve(saved) : api("POST", base, {
      entity: entity, filename: file.name, size: file.size,
    }, "begin").then(function (plan) {
      return { upload: plan.upload, part_size: plan.part_size,
        part_count: plan.part_count, expires_at: plan.expires_at, etags: {} };
    });
    started.then(function (state) {
      if (job.stopped) return null;
      job.state = state;
      remember(key, state);
      return self.sendParts(item, job).then(function () {
        if (job.stopped) return null;
        item.say(message(root, "adding"), "busy");
        var parts = Object.keys(state.etags).map(function (number) {
          return { number: parseInt(number, 10), etag: state.etags[number] };
        });
        return api("POST", base + "/" + state.upload + "/finish", { parts: parts },
          "finish");
      });
    }).then(function (finished) {
      if (job.stopped || !finished) return;
      forget(key);
      item.bar.value = 100;
      self.commit(item, finished.upload, "");
    }).catch(function (failure) {
      if (job.stopped) return;
      if (!(failure instanceof Failure)) failure = new Failure(0, "", "");
      var status = failure.status;
      // A resumed upload the server no longer has (expired, finished,
      // someone else's): start it again from the first byte.
      var gone = status === 404 || (status === 422 && failure.stage === "parts");
      if (saved && gone && (failure.stage === "parts" || failure.stage === "finish")) {
        forget(key);
        self.startDirect(item, true);
        return;
      }
      if (failure.stage === "finish" && status >= 400 && status < 500) forget(key);
      var refused = status >= 400 && status < 500 && failure.stage !== "part";
      var text = failure.detail || message(root, status ? "failed" : "network");
      self.failed(item, text, refused ? null : function () { self.startDirect(item); });
    });
  };

  /* PUT every part not in state.etags, PARALLEL_PARTS at a time. */
  Widget.prototype.sendParts = function (item, job) {
    var root = this.root;
    var state = job.state;
    var pending = [];
    for (var number = 1; number <= state.part_count; number++) {
      if (!state.etags[number]) pending.push(number);
    }
    job.pending = pending;
    var progress = function () {
      var sent = 0;
      Object.keys(state.etags).forEach(function (n) { sent += partLength(state, job.file, n); });
      Object.keys(job.loaded).forEach(function (n) { sent += job.loaded[n]; });
      var percent = job.file.size ? Math.floor((sent / job.file.size) * 100) : 0;
      item.bar.value = Math.min(percent, 99);
      item.say(message(root, "uploading") + " " + Math.min(percent, 99) + "%", "busy");
    };
    progress();
    return new Promise(function (resolve, reject) {
      var running = 0;
      var failed = false;
      function next() {
        if (failed || job.stopped) return;
        if (!pending.length) {
          if (!running) resolve();
          return;
        }
        var number = pending.shift();
        running++;
        putPart(job, number, progress).then(function (etag) {
          running--;
          delete job.loaded[number];
          state.etags[number] = etag;
          remember(job.key, state);
          progress();
          next();
        }, function (failure) {
          running--;
          if (failed) return;
          failed = true;
          job.halted = true; // the other parts stop too
          job.xhrs.forEach(function (xhr) { xhr.abort(); });
          reject(failure);
        });
      }
      for (var i = 0; i < PARALLEL_PARTS; i++) next();
    });
  };

  function partLength(state, file, number) {
    var start = (number - 1) * state.part_size;
    return Math.max(0, Math.min(state.part_size, file.size - start));
  }

  /* The signed URL of a part, asked for with the next few parts at once. */
  function signedUrl(job, number) {
    var cached = job.urls[number];
    if (cached && Date.now() - cached.at < SIGNED_URL_AGE) return cached.promise;
    var batch = [number];
    job.pending.forEach(function (other) {
      var known = job.urls[other];
      if (batch.length < SIGN_BATCH && (!known || Date.now() - known.at >= SIGNED_URL_AGE)) {
        batch.push(other);
      }
    });
    var request = api("POST", job.base + "/" + job.state.upload + "/parts",
      { parts: batch }, "parts");
    var at = Date.now();
    batch.forEach(function (other) {
      job.urls[other] = { at: at, promise: request.then(function (answer) {
        return answer.urls[other];
      }) };
    });
    request.catch(function () {
      batch.forEach(function (other) {
        if (job.urls[other] && job.urls[other].at === at) delete job.urls[other];
      });
    });
    return job.urls[number].promise;
  }

  function putBlob(job, url, blob, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      var done = function (status) {
        var index = job.xhrs.indexOf(xhr);
        if (index !== -1) job.xhrs.splice(index, 1);
        resolve({ status: status, etag: status === 200 ? xhr.getResponseHeader("ETag") : "" });
      };
      job.xhrs.push(xhr);
      xhr.open("PUT", url);
      xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      xhr.onload = function () { done(xhr.status); };
      xhr.onerror = function () { done(0); };
      xhr.onabort = function () { done(0); };
      xhr.send(blob);
    });
  }

  /* One part, retried: its ETag, or a Failure with stage "part" (or "parts"
   * when signing was refused). */
  function putPart(job, number, progress) {
    var start = (number - 1) * job.state.part_size;
    // No type: the browser then sends no Content-Type of its own.
    var blob = job.file.slice(start, start + partLength(job.state, job.file, number));
    var attempt = function (tries) {
      job.loaded[number] = 0;
      return signedUrl(job, number).then(function (url) {
        return putBlob(job, url, blob, function (loaded) {
          job.loaded[number] = loaded;
          progress();
        });
      }).then(function (result) {
        if (result.status === 200 && result.etag) return result.etag;
        if (result.status === 200) {
          // The bucket's CORS rule does not expose ETag: `manage.py s3_cors`.
          throw new Failure(result.status, "", "cors");
        }
        throw new Failure(result.status, "", "part");
      }).catch(function (failure) {
        delete job.urls[number]; // refused or expired: sign it again
        var status = failure.status;
        var again = failure.stage === "part" || (failure.stage === "parts" && !status) ||
          (failure.stage === "parts" && status >= 500);
        if (job.stopped || job.halted || !again || tries >= PART_RETRY_DELAYS.length) {
          throw failure;
        }
        return wait(PART_RETRY_DELAYS[tries]).then(function () { return attempt(tries + 1); });
      });
    };
    return attempt(0);
  }

  Widget.prototype.failed = function (item, text, retry) {
    item.say(text, "error");
    item.buttons(retry ? [[message(this.root, "retry"), retry]] : []);
    this.finish();
  };

  Widget.prototype.commit = function (item, uploadId, onClash) {
    var self = this;
    var root = this.root;
    var body = new FormData();
    body.append("upload", uploadId);
    var fields = commitFields(root);
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    if (onClash) body.append("on_clash", onClash);
    item.say(message(root, "adding"), "busy");
    item.buttons([]);
    fetch(root.getAttribute("data-commit-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.status === 409 && detailOf(text) && JSON.parse(text).clash) {
          item.say(detailOf(text) || message(root, "clash"), "error");
          item.buttons([
            [message(root, "version"), function () { self.commit(item, uploadId, "version"); }],
            [message(root, "copy"), function () { self.commit(item, uploadId, "copy"); }],
          ]);
          return;
        }
        if (!response.ok) {
          self.failed(item, detailOf(text) || message(root, "failed"), null);
          return;
        }
        item.say(message(root, "done"), "done");
        self.show(text);
        self.finish();
      });
    }, function () {
      self.failed(item, message(root, "network"), function () {
        self.commit(item, uploadId, onClash);
      });
    });
  };

  /* The commit's HTML answer replaces the target's content. */
  Widget.prototype.show = function (html) {
    var selector = this.root.getAttribute("data-target");
    var target = selector ? document.querySelector(selector) : null;
    if (!target) return;
    target.innerHTML = html;
    if (window.htmx) window.htmx.process(target);
  };

  /* Without a target, reload once every file is in (not over an error). */
  Widget.prototype.finish = function () {
    if (this.root.getAttribute("data-target")) return;
    var states = this.items.map(function (item) { return item.state; });
    var settled = states.indexOf("busy") === -1 && states.indexOf("error") === -1;
    if (settled && states.indexOf("done") !== -1) {
      window.location.reload();
    }
  };

  function init(scope) {
    var roots = (scope || document).querySelectorAll(".uploader");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (root.getAttribute("data-uploader-ready")) continue;
      root.setAttribute("data-uploader-ready", "1");
      new Widget(root);
    }
  }

  window.LoketUploader = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Content swapped in by htmx (a wizard step) may bring new upload areas.
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
