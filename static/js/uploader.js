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
