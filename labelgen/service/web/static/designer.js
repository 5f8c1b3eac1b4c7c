// The OCOP label designer: the form becomes a label spec, which is sent to the API for a live
// preview and a compliance check; findings are shown next to the fields they concern.
// Plain script, no framework: the page runs under `default-src 'self'`, so nothing here may rely
// on inline code, and it must work without any outside resource.
"use strict";

(function () {
  const API = {
    labels: "/api/v1/labels",
    check: "/api/v1/check",
    parseYaml: "/designer/parse",
    example: "/static/example.json",
    runs: "/api/v1/runs",
  };
  // How often a print run's progress is asked for; a run of thousands takes seconds to minutes.
  const RUN_POLL_MS = 1000;
  const PREVIEW_DELAY_MS = 400;
  // A preview's resolution: enough for the label as wide as the screen shows it (a phone's
  // double-density screen included), never a print file's 300 dpi.
  const PREVIEW_MIN_DPI = 50;
  // While the producer types, findings follow each pause, the drawings only a longer one: a
  // check is a few hundred bytes, a drawing tens of kilobytes of mobile data.
  const DRAW_PAUSE_MS = 900;
  const PREVIEW_MAX_DPI = 250;
  // Waiting longer than this for a busy server is worse than telling the producer it is busy.
  const MAX_RETRY_WAIT_MS = 5000;
  const STORAGE_KEY = "labelgen.designer.spec";
  // The work as it was before the last action that replaced it (an example, a file, a reset):
  // "Lấy lại bản trước" brings it back, after a reload too.
  const PREVIOUS_KEY = "labelgen.designer.previous";
  // The co-op's key, for this browser tab only (sessionStorage ends with the tab): a producer
  // signs in once per session, and the key never outlives it.
  const KEY_STORAGE = "labelgen.designer.key";
  // The co-op's brand kit (name, colours, logo, typeface), kept in this browser for every
  // product it makes; the same document is what "Tải tệp bộ nhận diện" downloads.
  const KIT_KEY = "labelgen.designer.brandkit";
  const KIT_FORMAT = "labelgen-brand-kit";
  // Which PDF the producer's print shop takes: "rgb" (the default) or "cmyk" (PDF/X-4 for an
  // offset press), remembered in this browser.
  const PDF_KIND_KEY = "labelgen.designer.pdfkind";
  const KIT_MAX_FILE_BYTES = 4 * 1024 * 1024;
  const COLOR_KEYS = ["primary", "accent", "text", "background"];
  const LOGO_TYPES = ["image/png", "image/jpeg", "image/webp", "image/svg+xml"];

  const form = document.getElementById("designer");
  const T = JSON.parse(document.getElementById("ui-strings").textContent);
  // The check's warnings about what the configured registry does not hold (OCOP-REGISTRY-*).
  const REGISTRY_RULE_PREFIX = "OCOP-REGISTRY-";
  // Every bundled template, a hang tag's back included: name, size, role (front, back or
  // single) and the sides printed with it.
  const TEMPLATES = JSON.parse(document.getElementById("template-info").textContent);
  const DEFAULT_TEMPLATE = (form.querySelector("input[data-template][checked]") || {}).value;
  const NOT_PRINTED = "VN-LBL-MANDATORY-NOT-PRINTED";
  const OVERFLOW = "LAYOUT-TEXT-OVERFLOW";
  // The field each one-item text slot of a template prints.
  const SLOT_FIELDS = {
    brand: "brand.name",
    product_name: "product.name",
    product_name_en: "product.name_en",
    net_quantity: "product.net_quantity",
    ethanol: "product.ethanol_percent",
    batch: "product.batch",
    dates: "product.manufactured_on",
    function: "product.function",
    ingredients: "product.ingredients",
    usage: "product.usage",
    storage: "product.storage",
    warnings: "product.warnings",
    producer: "producer.name",
    origin: "product.origin",
    certification: "certification.certificate_no",
  };
  const LANG = form.dataset.lang;
  const LOGO_MAX_BYTES = Number(form.dataset.logoMaxBytes);

  const els = {
    status: document.getElementById("status"),
    statusText: document.getElementById("status-text"),
    statusSub: document.getElementById("status-sub"),
    mobileStatus: document.getElementById("mobile-status"),
    preview: document.getElementById("preview"),
    stage: document.getElementById("preview-stage"),
    previewPanels: document.getElementById("preview-panels"),
    previewEmpty: document.getElementById("preview-empty"),
    previewEmptyText: document.getElementById("preview-empty-text"),
    summarySection: document.getElementById("summary"),
    previewNote: document.getElementById("preview-note"),
    layoutFindings: document.getElementById("layout-findings"),
    generalFindings: document.getElementById("general-findings"),
    summary: document.getElementById("summary-list"),
    downloads: document.getElementById("downloads"),
    downloadNote: document.getElementById("download-note"),
    downloadButtons: document.getElementById("download-buttons"),
    downloadPanels: document.getElementById("download-panels"),
    downloadSetNote: document.getElementById("download-set-note"),
    pdfKinds: document.querySelectorAll("input[name='pdf-kind']"),
    suggestions: document.getElementById("suggestions"),
    suggestionList: document.getElementById("suggestion-list"),
    templateNotice: document.getElementById("template-notice"),
    setSummary: document.getElementById("set-summary"),
    setNoteSides: document.getElementById("set-note-sides"),
    setOptions: document.getElementById("set-options"),
    message: document.getElementById("toolbar-message"),
    specFile: document.getElementById("spec-file"),
    undo: document.getElementById("undo"),
    confirm: document.getElementById("confirm-dialog"),
    confirmText: document.getElementById("confirm-text"),
    confirmTitle: document.getElementById("confirm-title"),
    confirmYes: document.getElementById("confirm-yes"),
    confirmNo: document.getElementById("confirm-no"),
    logoFile: document.getElementById("f-brand-logo"),
    logoThumb: document.getElementById("logo-thumb"),
    logoImage: document.getElementById("logo-image"),
    logoRemove: document.getElementById("logo-remove"),
    languages: document.getElementById("f-languages"),
    certified: document.getElementById("f-certified"),
    certificationFields: document.getElementById("certification-fields"),
    category: document.getElementById("f-product-category"),
    shelfValue: document.getElementById("f-shelf-life"),
    shelfUnit: document.getElementById("f-shelf-life-unit"),
    run: document.getElementById("print-run"),
    runKey: document.getElementById("run-key"),
    runForget: document.getElementById("run-forget"),
    runCount: document.getElementById("run-count"),
    runSheet: document.getElementById("run-sheet"),
    runCmyk: document.getElementById("run-cmyk"),
    runStart: document.getElementById("run-start"),
    runProgress: document.getElementById("run-progress"),
    runNote: document.getElementById("run-note"),
    runDownloads: document.getElementById("run-downloads"),
    runPdf: document.getElementById("run-pdf"),
    runSerials: document.getElementById("run-serials"),
    brandName: document.getElementById("f-brand-name"),
    kitState: document.getElementById("brand-kit-state"),
    kitSave: document.getElementById("kit-save"),
    kitApply: document.getElementById("kit-apply"),
    kitExport: document.getElementById("kit-export"),
    kitFile: document.getElementById("kit-file"),
    kitMessage: document.getElementById("kit-message"),
    cartonFields: document.getElementById("carton-fields"),
    printRunSection: document.getElementById("print-run"),
    labelTemplates: document.getElementById("label-templates"),
  };
  // A folding carton is drawn by a carton style (its `template:`), not by a label template.
  const CARTON_TEMPLATE = els.cartonFields.dataset.cartonTemplate;
  const fontInputs = Array.from(form.querySelectorAll("input[name='brand.font']"));
  const DEFAULT_FONT = (fontInputs.find(function (input) {
    return "defaultFont" in input.dataset;
  }) || {}).value;

  // The spec last loaded from a file: fields the form does not show (size, font, …) are kept
  // from it, so opening and saving a file never loses anything.
  let baseDoc = {};
  let logoUri = null;
  // Problems found in the browser itself (an unreadable date or logo in a loaded file); they
  // stay until the field is edited.
  let localProblems = [];
  // Each change gets a number; an answer to an older request is dropped, so a slow reply can
  // never overwrite a newer one.
  let generation = 0;
  let inflight = null;
  let debounceTimer = null;
  let typing = false;
  // The panels the preview shows (template ids, in print order), and the object URL of each
  // one's last drawing.
  let panelIds = [];
  let previewUrls = new Map();
  // A template (or set) the form's controls cannot show exactly, such as a file's
  // ["hang-tag", "hang-tag-back"] or a set of three: kept as written for as long as the
  // controls stay as they were set from it.
  let templateOverride = null;
  // The carton style a carton is drawn with: the bundled one, or the one a file names.
  let cartonTemplate = CARTON_TEMPLATE;
  // What the last check said, for the download buttons: "empty", "invalid", "errors",
  // "compliant" or "unknown" (the server could not be reached).
  let verdict = { state: "empty", errors: 0 };

  // ---------------------------------------------------------------- small helpers

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  // A message that depends on a count: {one, other}, as English needs ("1 error", "2 errors").
  function counted(message, n) {
    return format(n === 1 ? message.one : message.other, { n: n });
  }

  function clone(value) {
    return JSON.parse(JSON.stringify(value));
  }

  function getPath(object, path) {
    let node = object;
    for (const key of path.split(".")) {
      if (node === null || typeof node !== "object" || !(key in node)) {
        return undefined;
      }
      node = node[key];
    }
    return node;
  }

  function setPath(object, path, value) {
    const keys = path.split(".");
    let node = object;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== "object" || Array.isArray(node[key])) {
        node[key] = {};
      }
      node = node[key];
    }
    node[keys[keys.length - 1]] = value;
  }

  function deletePath(object, path) {
    const keys = path.split(".");
    const parent = keys.length > 1 ? getPath(object, keys.slice(0, -1).join(".")) : object;
    if (parent !== null && typeof parent === "object") {
      delete parent[keys[keys.length - 1]];
    }
  }

  // Drop objects left empty by cleared fields: an empty `origin: {}` would be reported as
  // missing its phrase, when the producer meant "no origin yet".
  function prune(value) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return value;
    }
    for (const key of Object.keys(value)) {
      const child = prune(value[key]);
      if (child !== null && typeof child === "object" && !Array.isArray(child) &&
          Object.keys(child).length === 0) {
        delete value[key];
      }
    }
    return value;
  }

  // A file name from the product name: "Hạt sen sấy giòn" → "hat-sen-say-gion".
  function slug(text) {
    const plain = (text || "")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
    return plain.slice(0, 60) || "nhan-ocop";
  }

  function say(text) {
    els.message.textContent = text;
  }

  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // Revoking at once can cancel the download in some browsers; a minute is plenty.
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  function fileNameFrom(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const encoded = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
    if (encoded) {
      try {
        return decodeURIComponent(encoded[1].trim());
      } catch (error) {
        return fallback;
      }
    }
    const plain = header.match(/filename\s*=\s*"?([^";]+)"?/i);
    return plain ? plain[1].trim() : fallback;
  }

  // ---------------------------------------------------------------- templates and sets

  // A spec's `template:` as a list of ids: "round-jar" or ["round-jar", "back-panel"].
  function templateList(template) {
    const list = Array.isArray(template) ? template : [template];
    return list.filter(function (id) { return typeof id === "string"; }).map(function (id) {
      return id.normalize("NFC").trim();
    });
  }

  // The panels a spec's template makes, in print order, as the service works them out: each
  // template named, followed by its own sides (a hang tag's back) unless the set names them.
  // A carton (a spec with `package:`) is previewed as its flat dieline and the folded box.
  const CARTON_VIEWS = ["flat", "folded"];

  function panelsOf(template, carton) {
    if (carton) {
      return CARTON_VIEWS.slice();
    }
    const named = templateList(template === undefined ? DEFAULT_TEMPLATE : template);
    const panels = [];
    for (const id of named) {
      if (panels.includes(id)) {
        continue;
      }
      panels.push(id);
      for (const side of TEMPLATES[id] ? TEMPLATES[id].sides : []) {
        if (!named.includes(side)) {
          panels.push(side);
        }
      }
    }
    return panels;
  }

  function templateName(id) {
    return TEMPLATES[id] ? TEMPLATES[id].name : id;
  }

  // "Nhãn OCOP mặt trước + Nhãn mặt sau": a set as the producer knows it (a hang tag's back
  // is part of the hang tag, so it is not named).
  function setName(ids) {
    return ids.filter(function (id, index) {
      const info = TEMPLATES[id];
      return !(info && info.side_of && ids.slice(0, index).includes(info.side_of));
    }).map(templateName).join(T.set_join);
  }

  // What a panel is called on its preview: its side when the set has several, else its name.
  function panelLabel(id) {
    if (panelIds.includes("folded") && CARTON_VIEWS.includes(id)) {
      return T["panel_" + id];
    }
    const role = TEMPLATES[id] ? TEMPLATES[id].role : "single";
    if (role === "front") {
      return T.panel_front;
    }
    if (role === "back") {
      return T.panel_back;
    }
    return templateName(id);
  }

  function templateCards() {
    return Array.from(form.querySelectorAll("input[data-template]"));
  }

  function backSwitches() {
    return Array.from(form.querySelectorAll("input[data-back]"));
  }

  // The chosen card's template takes a back label: a front or one-piece label that has no
  // side of its own (a hang tag has its back already; a back label is not given another).
  function takesBack(card) {
    return Boolean(card) && card.dataset.role !== "back" && Number(card.dataset.sides) <= 1;
  }

  // The template ids the controls name: the chosen card, then the back label added to it.
  function chosenTemplates() {
    const card = form.querySelector("input[data-template]:checked");
    if (!card) {
      return null;
    }
    const ids = [card.value];
    if (takesBack(card)) {
      const back = backSwitches().find(function (input) { return input.checked; });
      if (back) {
        ids.push(back.dataset.back);
      }
    }
    return ids;
  }

  function controlsKey() {
    const ids = chosenTemplates();
    return ids ? ids.join(" ") : "";
  }

  // Sets the cards and back switches to show `template`; false when they cannot show it
  // exactly (a template folder, a set of three), which then is kept as written.
  function setTemplateControls(template) {
    let ids = templateList(template);
    // A side named after its own template adds nothing: ["hang-tag", "hang-tag-back"].
    ids = ids.filter(function (id, index) {
      const info = TEMPLATES[id];
      return !(info && info.side_of && ids.slice(0, index).includes(info.side_of));
    });
    const card = templateCards().find(function (input) { return input.value === ids[0]; });
    const backs = ids.slice(1);
    const switches = backSwitches();
    const exact = Boolean(card) && backs.length <= (takesBack(card) ? 1 : 0) &&
      backs.every(function (id) {
        return switches.some(function (input) { return input.dataset.back === id; });
      });
    for (const input of templateCards()) {
      input.checked = input === card;
    }
    for (const input of switches) {
      input.checked = Boolean(card) && backs.includes(input.dataset.back);
    }
    return exact;
  }

  // The form shows `template` (a file's, or a suggestion): exactly if the controls can, else
  // as close as they can, keeping the file's own value for the spec.
  function showTemplate(template) {
    if (template === undefined || template === null) {
      templateOverride = null;
      return;
    }
    const exact = setTemplateControls(template);
    templateOverride = { value: clone(template), key: controlsKey(), exact: exact };
  }

  // The spec's `template:` from the controls: one id, or a list for a set.
  function specTemplate() {
    if (templateOverride && templateOverride.key === controlsKey()) {
      return clone(templateOverride.value);
    }
    const ids = chosenTemplates();
    if (!ids) {
      return undefined;
    }
    return ids.length === 1 ? ids[0] : ids;
  }

  // ---------------------------------------------------------------- form ↔ spec

  function pathInputs() {
    return Array.from(form.querySelectorAll("[data-path]"));
  }

  function readValue(input) {
    if (input.type === "radio" && !input.checked) {
      return undefined;
    }
    let text = input.value.trim();
    if ("compact" in input.dataset) {
      // GTINs are often typed in groups ("893 6012 34567 4"); the spec wants the digits.
      text = text.replace(/[\s-]+/g, "");
    }
    if (text === "") {
      return null;
    }
    if (input.dataset.type === "date") {
      // Sent as the spec writes dates; text that is not a date is sent as it is, and the
      // check says how to write it.
      return isoDate(text) || text;
    }
    if (input.dataset.type === "number" || input.dataset.type === "int") {
      const number = Number(text.replace(",", "."));
      return Number.isFinite(number) ? number : text;
    }
    return text;
  }

  // A date as a producer writes it, day first (20/11/2026, 20-11-2026, 20.11.2026), or as a
  // file holds it (2026-11-20) → "2026-11-20"; null when it is not a real date.
  function isoDate(text) {
    let match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
    let day;
    let month;
    let year;
    if (match) {
      [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
    } else {
      match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
      if (!match) {
        return null;
      }
      [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    }
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
        date.getUTCDate() !== day) {
      return null;
    }
    return date.toISOString().slice(0, 10);
  }

  // "2026-11-20" → "20/11/2026", as the page shows every date, in either language.
  function shownDate(iso) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    return match ? match[3] + "/" + match[2] + "/" + match[1] : iso;
  }

  function sameColour(before, after) {
    return typeof before === "string" && typeof after === "string" &&
      before.toLowerCase() === after.toLowerCase();
  }

  function buildSpec() {
    const spec = clone(baseDoc);
    const values = new Map();
    for (const input of pathInputs()) {
      if (input.matches(":disabled")) {
        continue;
      }
      const value = readValue(input);
      if (input.type === "color" && sameColour(getPath(baseDoc, input.dataset.path), value)) {
        // A colour input always answers in lower case; keep the file's own spelling.
        continue;
      }
      if (value === undefined) {
        if (!values.has(input.dataset.path)) {
          values.set(input.dataset.path, null);
        }
      } else {
        values.set(input.dataset.path, value);
      }
    }
    for (const [path, value] of values) {
      if (value === null) {
        deletePath(spec, path);
      } else {
        setPath(spec, path, value);
      }
    }

    const template = specTemplate();
    if (isCarton()) {
      spec.template = cartonTemplate;
    } else {
      // A label: a package kept from a file, or typed before switching back, is not sent.
      delete spec.package;
      if (template !== undefined) {
        spec.template = template;
      }
    }
    if (els.languages.checked) {
      spec.languages = ["vi", "en"];
    } else {
      delete spec.languages;
    }

    if (expiryMode() === "date") {
      deletePath(spec, "product.shelf_life");
    } else {
      deletePath(spec, "product.expires_on");
      deletePath(spec, "product.shelf_life");
      const amount = els.shelfValue.value.trim();
      if (amount !== "") {
        const shelfLife = {};
        shelfLife[els.shelfUnit.value] = Number.isFinite(Number(amount)) ? Number(amount) : amount;
        setPath(spec, "product.shelf_life", shelfLife);
      }
    }

    if (!els.certified.checked) {
      delete spec.certification;
    } else if (spec.certification && !spec.certification.scheme) {
      spec.certification.scheme = "OCOP";
    }

    if (logoUri) {
      setPath(spec, "brand.logo", logoUri);
    } else {
      deletePath(spec, "brand.logo");
    }

    // The default typeface is what a spec without one gets: it is not written out. A file's
    // typeface the page does not offer is kept as written, and the check says what is wrong.
    const fileFont = getPath(baseDoc, "brand.font");
    if (!fontInputs.some(function (input) { return input.checked; }) && fileFont !== undefined) {
      setPath(spec, "brand.font", fileFont);
    } else if (getPath(spec, "brand.font") === DEFAULT_FONT && fileFont === undefined) {
      deletePath(spec, "brand.font");
    }
    return prune(spec);
  }

  function setInputValue(input, value) {
    if (input.type === "radio") {
      // Without a value the form's default choice stays (4 stars when certification is
      // switched on later); a spec with a certification but no stars is handled by the caller.
      if (value !== undefined && value !== null) {
        input.checked = String(value) === input.value;
      }
      return true;
    }
    if (input.type === "color") {
      input.value = typeof value === "string" && /^#[0-9a-f]{6}$/i.test(value)
        ? value.toLowerCase() : input.defaultValue;
      return true;
    }
    if (input.dataset.type === "date") {
      const written = value === undefined || value === null ? "" : String(value);
      const iso = isoDate(written);
      input.value = iso ? shownDate(iso) : written;
      return true;
    }
    let text = value === undefined || value === null ? "" : String(value);
    if (text === "" && input.dataset.default !== undefined) {
      // A field the spec may leave out shows what leaving it out means (the press: offset).
      text = input.dataset.default;
    }
    if (input.tagName === "SELECT" && text !== "" &&
        !Array.from(input.options).some(function (option) { return option.value === text; })) {
      // Keep a value the list does not offer (an old origin phrase, a misspelt category):
      // the check then explains what is wrong with it, instead of it vanishing.
      input.add(new Option(text, text));
    }
    input.value = text;
    // A date or number input silently refuses what it cannot hold ("20/11/2026", "200g");
    // say so rather than lose it.
    return input.value === text;
  }

  function fillForm(doc) {
    baseDoc = clone(doc);
    localProblems = [];
    form.reset();
    for (const input of pathInputs()) {
      const value = getPath(doc, input.dataset.path);
      if (!setInputValue(input, value)) {
        localProblems.push({
          field: input.dataset.path,
          reason: format(T.value_unreadable, { value: String(value) }),
          local: true,
        });
      }
    }

    const carton = doc.package !== null && typeof doc.package === "object" &&
      !Array.isArray(doc.package);
    setPackaging(carton ? "carton" : "label");
    if (carton) {
      // The label cards keep their default: switching back to a label gives a label template.
      templateOverride = null;
      cartonTemplate = typeof doc.template === "string" ? doc.template : CARTON_TEMPLATE;
    } else {
      cartonTemplate = CARTON_TEMPLATE;
      // A label's file has no package: the carton fields keep the page's starting size.
      for (const input of els.cartonFields.querySelectorAll("[data-path]")) {
        resetInput(input);
      }
      showTemplate(doc.template);
    }
    els.languages.checked = Array.isArray(doc.languages) && doc.languages.includes("en");

    const shelfLife = getPath(doc, "product.shelf_life");
    if (shelfLife && typeof shelfLife === "object") {
      setExpiryMode("shelf");
      const unit = "days" in shelfLife && !("months" in shelfLife) ? "days" : "months";
      els.shelfUnit.value = unit;
      els.shelfValue.value = shelfLife[unit] === undefined ? "" : String(shelfLife[unit]);
    } else {
      setExpiryMode("date");
      els.shelfValue.value = "";
    }

    els.certified.checked = Boolean(doc.certification);
    const stars = getPath(doc, "certification.stars");
    if (stars !== undefined && stars !== null && ![3, 4, 5].includes(Number(stars))) {
      // The picker offers 3 to 5 stars only; a file's other value is said, not dropped silently.
      localProblems.push({ field: "certification.stars", reason: T.stars_range, local: true });
    }
    if (doc.certification && doc.certification.stars === undefined) {
      // form.reset() ticked the default star; a loaded spec without stars must say so.
      for (const star of form.querySelectorAll("input[name='certification.stars']")) {
        star.checked = false;
      }
    }

    const logo = getPath(doc, "brand.logo");
    if (typeof logo === "string" && logo.startsWith("data:")) {
      setLogo(logo);
    } else {
      setLogo(null);
      if (typeof logo === "string") {
        // A logo named by file path cannot travel with the form; ask for the image instead.
        localProblems.push({ field: "brand.logo", reason: T.logo_path, local: true });
      }
    }
    deletePath(baseDoc, "brand.logo");
    syncFormState();
  }

  // An input back to the value the page starts with (its HTML default).
  function resetInput(input) {
    if (input.tagName === "SELECT") {
      for (const option of input.options) {
        option.selected = option.defaultSelected;
      }
    } else {
      input.value = input.defaultValue;
    }
  }

  function isCarton() {
    const checked = form.querySelector("input[name='packaging']:checked");
    return Boolean(checked) && checked.value === "carton";
  }

  function setPackaging(kind) {
    for (const radio of form.querySelectorAll("input[name='packaging']")) {
      radio.checked = radio.value === kind;
    }
  }

  function resetForm() {
    baseDoc = {};
    localProblems = [];
    templateOverride = null;
    cartonTemplate = CARTON_TEMPLATE;
    form.reset();
    setLogo(null);
    setExpiryMode("date");
    syncFormState();
  }

  function expiryMode() {
    const checked = form.querySelector("input[name='expiry-mode']:checked");
    return checked ? checked.value : "date";
  }

  function setExpiryMode(mode) {
    for (const radio of form.querySelectorAll("input[name='expiry-mode']")) {
      radio.checked = radio.value === mode;
    }
  }

  // Shows and hides what depends on other answers: English twins on bilingual labels, the
  // fields of one product group, the certification details, the chosen expiry form.
  function syncFormState() {
    form.classList.toggle("is-bilingual", els.languages.checked);

    const category = els.category.value;
    for (const field of form.querySelectorAll("[data-show-for]")) {
      const wanted = field.dataset.showFor.split(" ").includes(category);
      const filled = Array.from(field.querySelectorAll("[data-path]")).some(function (input) {
        return input.value.trim() !== "";
      });
      field.hidden = !wanted && !filled && !field.classList.contains("has-findings");
    }

    const certified = els.certified.checked;
    els.certificationFields.disabled = !certified;
    els.certificationFields.hidden = !certified;

    // A carton or a label: the other's controls are out of sight and out of the spec.
    const carton = isCarton();
    els.cartonFields.disabled = !carton;
    els.cartonFields.hidden = !carton;
    els.labelTemplates.hidden = carton;
    // Print runs serialise labels; a carton's dieline is printed from its PDF download.
    els.printRunSection.hidden = carton;
    for (const button of els.downloadButtons.querySelectorAll("[data-carton]")) {
      button.hidden = !carton;
    }

    const mode = expiryMode();
    for (const part of form.querySelectorAll("[data-expiry]")) {
      part.hidden = part.dataset.expiry !== mode;
    }

    for (const chip of form.querySelectorAll(".color-chip")) {
      const input = chip.querySelector("input[type='color']");
      chip.querySelector("[data-color-value]").textContent = input.value.toUpperCase();
    }
    syncTemplateState();
  }

  // A back label can be added to a front label; a hang tag says it is two-sided already; a
  // set of several panels is named in full under the cards.
  function syncTemplateState() {
    const card = form.querySelector("input[data-template]:checked");
    const open = takesBack(card);
    for (const option of form.querySelectorAll("[data-back-option]")) {
      option.hidden = !open;
      option.querySelector("input").disabled = !open;
    }
    if (els.setNoteSides) {
      els.setNoteSides.hidden = !card || Number(card.dataset.sides) <= 1;
      els.setOptions.hidden = !open && els.setNoteSides.hidden;
    }
    const template = specTemplate();
    const panels = template === undefined ? [] : panelsOf(template);
    // A hang tag alone is two-sided, as the note above says; a set the producer made is named.
    const made = panels.length > 1 && setName(templateList(template)).includes(T.set_join);
    els.setSummary.hidden = !made;
    els.setSummary.textContent = made
      ? format(T.set_summary, { n: panels.length, names: setName(templateList(template)) }) : "";
  }

  // ---------------------------------------------------------------- logo

  function setLogo(uri) {
    logoUri = uri;
    els.logoThumb.hidden = !uri;
    els.logoRemove.hidden = !uri;
    if (uri) {
      els.logoImage.src = uri;
    } else {
      els.logoImage.removeAttribute("src");
    }
  }

  // Some systems give no type for a WebP or SVG file; the name then tells.
  function logoType(file) {
    if (file.type) {
      return file.type;
    }
    const extension = (file.name.split(".").pop() || "").toLowerCase();
    const byExtension = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
      webp: "image/webp", svg: "image/svg+xml" };
    return byExtension[extension] || "";
  }

  function readLogo(file) {
    localProblems = localProblems.filter(function (item) { return item.field !== "brand.logo"; });
    const type = logoType(file);
    if (!LOGO_TYPES.includes(type)) {
      localProblems.push({ field: "brand.logo", reason: T.logo_type, local: true });
      scheduleRefresh(0);
      return;
    }
    if (file.size > LOGO_MAX_BYTES) {
      localProblems.push({ field: "brand.logo", reason: T.logo_size, local: true });
      scheduleRefresh(0);
      return;
    }
    // Read in the browser as a data: URI: the spec then carries the logo itself, as the API
    // accepts no file paths.
    const reader = new FileReader();
    reader.addEventListener("load", function () {
      // Name the type explicitly: without one the browser writes "data:application/octet-stream".
      const base64 = String(reader.result).split(",", 2)[1] || "";
      setLogo("data:" + type + ";base64," + base64);
      changed();
    });
    reader.readAsDataURL(file);
  }

  // ---------------------------------------------------------------- talking to the API

  async function postSpec(url, spec, signal) {
    const body = JSON.stringify(spec);
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: body,
        signal: signal,
        credentials: "same-origin",
      });
      const busy = response.status === 429 || response.status === 503;
      if (!busy || attempt >= 1) {
        return response;
      }
      // A saturated render pool answers with Retry-After; one polite retry covers a short
      // burst, after which the producer is told the server is busy.
      const seconds = Number(response.headers.get("Retry-After")) || 1;
      await new Promise(function (resolve) {
        setTimeout(resolve, Math.min(seconds * 1000, MAX_RETRY_WAIT_MS));
      });
    }
  }

  async function readProblem(response) {
    try {
      return await response.json();
    } catch (error) {
      return { status: response.status };
    }
  }

  function isBlank(spec) {
    const product = spec.product || {};
    const producer = spec.producer || {};
    const brand = spec.brand || {};
    return !brand.name && !product.name && !producer.name && !producer.address;
  }

  function scheduleRefresh(delay) {
    clearTimeout(debounceTimer);
    // Typing (no delay given) waits for a longer pause before drawing; a file, the example or
    // a click on a template is drawn at once.
    typing = delay === undefined;
    debounceTimer = setTimeout(refresh, typing ? PREVIEW_DELAY_MS : delay);
  }

  function changed() {
    syncFormState();
    store();
    scheduleRefresh();
  }

  async function refresh() {
    const spec = buildSpec();
    generation += 1;
    const mine = generation;
    if (inflight) {
      inflight.abort();
    }
    if (isBlank(spec)) {
      inflight = null;
      showEmpty();
      return;
    }
    inflight = new AbortController();
    const signal = inflight.signal;
    els.status.dataset.busy = "true";
    els.stage.dataset.busy = "true";
    const panels = panelsOf(spec.template, Boolean(spec.package));
    setPanels(panels);

    // The check (a layout, no drawing: quick) comes first and says whether the panels are
    // drawn as they will print (QR code included) or as marked drafts; so no drawing is asked
    // for twice, and none is refused. The previews are PNG images at the size they are shown:
    // a few tens of kilobytes each, where an SVG carries its fonts every time.
    const pause = typing;
    const checking = postSpec(API.check, spec, signal);
    let drawings = null;
    let draft = false;
    try {
      const checked = await checking;
      if (mine !== generation) {
        return;
      }
      const outcome = await showCheck(checked);
      if (mine !== generation) {
        return;
      }
      if (!drawings) {
        if (outcome === "invalid") {
          // The service draws no spec it cannot read; the last good drawing stays, greyed.
          showPreviewFailure();
          return;
        }
        draft = outcome === "errors";
        if (pause) {
          await new Promise(function (resolve) { setTimeout(resolve, DRAW_PAUSE_MS); });
          if (mine !== generation) {
            return;
          }
        }
        drawings = panels.map(function (panel) {
          return postSpec(previewUrl(panel, panels, draft), spec, signal);
        });
      }
      const drawn = await Promise.all(drawings.map(function (drawing, index) {
        return drawPanel(drawing, draft, panels[index], panels, spec, signal);
      }));
      if (mine !== generation) {
        return;
      }
      showPreviews(drawn);
    } catch (error) {
      if (error.name === "AbortError" || mine !== generation) {
        return;
      }
      verdict = { state: "unknown", errors: 0 };
      setStatus("offline", T.status_offline, "");
      updateDownloads();
    } finally {
      if (mine === generation) {
        delete els.status.dataset.busy;
        delete els.stage.dataset.busy;
      }
    }
  }

  // The label API's address for one file: the whole label, or one panel of a set; for a
  // carton, `view` "flat" (its dieline) or "folded" (the closed box).
  function labelUrl(fileFormat, panel, panels, draft, view) {
    let url = API.labels + "?format=" + encodeURIComponent(fileFormat);
    if (view) {
      url += "&view=" + encodeURIComponent(view);
    }
    if (panel && panels.length > 1) {
      url += "&panel=" + encodeURIComponent(panel);
    }
    if (draft) {
      url += "&draft=true";
    }
    return url;
  }

  // A panel's preview: a PNG as sharp as the screen shows it, in steps of 25 dpi so that a
  // small change of width does not change the picture's size.
  function previewUrl(panel, panels, draft) {
    if (panels.includes("folded") && CARTON_VIEWS.includes(panel)) {
      // A carton's view: the flat at a screen's resolution; the folded box 1600 px wide at
      // 300 dpi, so 100 dpi gives a picture about 530 px wide.
      return labelUrl("png", null, [], draft, panel) +
        "&dpi=" + (panel === "flat" ? PREVIEW_MIN_DPI : 100);
    }
    const info = TEMPLATES[panel] || {};
    const figure = panelFigure(panel);
    const shown = figure ? figure.clientWidth : 0;
    const pixels = (shown || 360) * Math.min(window.devicePixelRatio || 1, 2);
    const wanted = info.width_mm ? pixels / (info.width_mm / 25.4) : PREVIEW_MIN_DPI;
    const dpi = Math.min(PREVIEW_MAX_DPI,
      Math.max(PREVIEW_MIN_DPI, Math.round(wanted / 25) * 25));
    return labelUrl("png", panel, panels, draft) + "&dpi=" + dpi;
  }

  // One panel's drawing: {panel, blob, draft}, or {panel, failed} when it cannot be drawn.
  async function drawPanel(drawing, draft, panel, panels, spec, signal) {
    let response = await drawing;
    if (response.status === 422 && !draft) {
      const refusal = await readProblem(response);
      if (!Array.isArray(refusal.findings)) {
        return { panel: panel, failed: true };
      }
      draft = true;
      response = await postSpec(previewUrl(panel, panels, true), spec, signal);
    }
    if (!response.ok) {
      await readProblem(response);
      return { panel: panel, failed: true };
    }
    return { panel: panel, blob: await response.blob(), draft: draft };
  }

  // What the check said, shown; answers "compliant", "errors", "invalid" (the spec cannot be
  // read as it is) or "unknown" (the service could not tell).
  async function showCheck(response) {
    if (response.ok) {
      const report = await response.json();
      showFindings(report.findings || [], [], false, report.suggestions || []);
      return report.compliant === false ? "errors" : "compliant";
    }
    const problem = await readProblem(response);
    if (Array.isArray(problem.problems)) {
      showFindings([], problem.problems);
      return "invalid";
    }
    if (Array.isArray(problem.findings)) {
      showFindings(problem.findings, [], false, problem.suggestions || []);
      return "errors";
    }
    if (response.status === 429 || response.status === 503) {
      verdict = { state: "unknown", errors: 0 };
      setStatus("offline", T.status_busy, "");
      updateDownloads();
    } else if (response.status >= 500) {
      // The service's own failure says nothing useful to a producer beyond "try again".
      verdict = { state: "unknown", errors: 0 };
      setStatus("offline", T.server_error, "");
      updateDownloads();
    } else {
      showFindings([], [{ field: "", reason: problemMessage(problem), local: true }]);
      return "invalid";
    }
    return "unknown";
  }

  // ---------------------------------------------------------------- previews

  // One preview per panel of the label, each captioned with its side when there are several;
  // built again only when the panels change, so the drawings in place stay until replaced.
  function setPanels(panels) {
    if (panels.join(" ") === panelIds.join(" ")) {
      return;
    }
    panelIds = panels.slice();
    for (const url of previewUrls.values()) {
      URL.revokeObjectURL(url);
    }
    previewUrls = new Map();
    const several = panels.length > 1;
    els.stage.dataset.panels = String(panels.length);
    const figures = panels.map(function (panel, index) {
      const info = TEMPLATES[panel] || {};
      const figure = document.createElement(several ? "figure" : "div");
      figure.className = "preview-panel";
      figure.dataset.panel = panel;
      figure.dataset.role = info.role || "single";
      // Side by side at one scale: each panel as wide as it is in millimetres.
      figure.style.setProperty("--grow", String(info.width_mm || 1));
      if (info.shape === "circle" && info.width_mm) {
        // The drawing is the label and its bleed; the cut is the circle of the label's width.
        figure.dataset.shape = "circle";
        const drawn = info.width_mm + 2 * (info.bleed_mm || 0);
        figure.style.setProperty("--cut-radius", (50 * info.width_mm / drawn).toFixed(3) + "%");
      }
      // Until its drawing comes, a panel is an outline of its shape and size.
      const frame = document.createElement("div");
      frame.className = "preview-frame";
      if (info.width_mm && info.height_mm) {
        frame.style.aspectRatio = info.width_mm + " / " + info.height_mm;
      }
      const image = document.createElement("img");
      image.className = "preview-image";
      if (index === 0) {
        image.id = "preview-image";
      }
      image.alt = format(T.preview_panel_alt, {
        panel: several ? panelLabel(panel) + " (" + templateName(panel) + ")" : templateName(panel),
      });
      image.hidden = true;
      frame.append(image);
      figure.append(frame);
      if (several) {
        const caption = document.createElement("figcaption");
        caption.className = "preview-caption";
        const side = document.createElement("strong");
        side.className = "preview-side";
        side.textContent = panelLabel(panel);
        caption.append(side);
        if (info.size) {
          const detail = document.createElement("span");
          detail.className = "preview-detail";
          detail.textContent = info.size;
          caption.append(detail);
        }
        caption.title = templateName(panel);
        figure.append(caption);
      }
      return figure;
    });
    els.previewPanels.replaceChildren(...figures);
    els.previewPanels.hidden = false;
    els.previewEmpty.hidden = true;
    els.stage.dataset.state = "loading";
    els.previewNote.textContent = "";
    buildPanelDownloads();
  }

  function panelFigure(panel) {
    return Array.from(els.previewPanels.children).find(function (figure) {
      return figure.dataset.panel === panel;
    }) || null;
  }

  function showPreviews(drawn) {
    if (drawn.some(function (item) { return item.failed; })) {
      showPreviewFailure();
      return;
    }
    const draft = drawn.some(function (item) { return item.draft; });
    for (const item of drawn) {
      const figure = panelFigure(item.panel);
      if (!figure) {
        continue;
      }
      const image = figure.querySelector("img");
      // The SVG is shown as an image, never inserted into the page: an <img> runs no script
      // and loads nothing, whatever the drawing holds.
      const url = URL.createObjectURL(item.blob);
      const previous = previewUrls.get(item.panel);
      previewUrls.set(item.panel, url);
      if (previous) {
        image.addEventListener("load", function () {
          URL.revokeObjectURL(previous);
        }, { once: true });
      }
      image.src = url;
      image.hidden = false;
      figure.dataset.drawn = "true";
    }
    els.previewPanels.hidden = false;
    els.previewEmpty.hidden = true;
    els.stage.dataset.state = draft ? "draft" : "final";
    els.stage.removeAttribute("title");
    els.previewNote.textContent = draft ? T.preview_note_draft : T.preview_note_final;
  }

  // Keep the last good drawings, greyed, rather than an empty box while a field is wrong.
  function showPreviewFailure() {
    const drawn = previewUrls.size > 0;
    els.stage.dataset.state = drawn ? "stale" : "failed";
    els.previewPanels.hidden = !drawn;
    els.previewEmpty.hidden = drawn;
    els.previewEmptyText.textContent = T.preview_failed;
    els.previewNote.textContent = drawn ? T.preview_stale : "";
  }

  function showEmpty() {
    verdict = { state: "empty", errors: 0 };
    showFindings([], [], true);
    els.previewPanels.hidden = true;
    els.previewEmpty.hidden = false;
    els.previewEmptyText.textContent = els.previewEmptyText.dataset.initial;
    els.stage.dataset.state = "empty";
    els.previewNote.textContent = "";
    els.summarySection.hidden = true;
    setStatus("idle", T.status_idle, "");
    updateDownloads();
  }

  // ---------------------------------------------------------------- findings

  // Every `.field` and section, indexed by the spec paths it stands for.
  const fieldIndex = new Map();
  for (const node of document.querySelectorAll("[data-field]")) {
    for (const path of node.dataset.field.split(" ")) {
      fieldIndex.set(path, node);
    }
  }

  // Where a finding about `path` is shown: the field for that path, else the nearest field or
  // section above it ("product.origin.country" → origin; "product" → the product section).
  function targetFor(path) {
    if (!path) {
      return null;
    }
    if (path === "layout" || path.startsWith("layout.")) {
      // A slot that prints one item (the brand, the product name): that item's field, where
      // the producer can shorten it.
      const item = slotField(path);
      if (item && fieldIndex.get(item)) {
        return fieldIndex.get(item);
      }
      // "layout.back-panel.facts": that panel's preview, when the label has several.
      const panel = panelIds.length > 1 ? panelFigure(path.split(".")[1]) : null;
      return panel || fieldIndex.get("layout");
    }
    let current = path;
    while (current) {
      const node = fieldIndex.get(current);
      if (node) {
        return node;
      }
      const cut = current.lastIndexOf(".");
      current = cut > 0 ? current.slice(0, cut) : "";
    }
    return null;
  }

  // The spec field a layout path's slot prints, when it prints one item only:
  // "layout.product_name" or "layout.ocop-classic.product_name" → "product.name".
  function slotField(path) {
    const parts = path.split(".");
    let panel = panelIds[0];
    let slot = parts[1];
    if (parts.length >= 3 && TEMPLATES[parts[1]]) {
      panel = parts[1];
      slot = parts[2];
    }
    const info = TEMPLATES[panel];
    const content = info && info.slots ? info.slots[slot] : null;
    if (!Array.isArray(content) || content.length !== 1) {
      return null;
    }
    return SLOT_FIELDS[content[0]] || null;
  }

  function listFor(node) {
    if (!node) {
      return els.generalFindings;
    }
    if (node.classList.contains("preview")) {
      return els.layoutFindings;
    }
    if (node.classList.contains("preview-panel")) {
      // Under all the previews, where there is room to read it; the panel is outlined.
      return els.layoutFindings;
    }
    return node.querySelector(":scope > .findings") || node.querySelector(".findings");
  }

  // A reason the service gives in English, in the page's language. A reason no entry covers
  // is never shown as it is on the Vietnamese page: it may name a field path or a library.
  function translateReason(reason, field) {
    if (Object.prototype.hasOwnProperty.call(T.reasons, reason)) {
      return T.reasons[reason];
    }
    for (const [pattern, replacement] of T.reason_patterns) {
      const match = new RegExp(pattern).exec(reason);
      if (match) {
        return replacement.replace(/\{(\d)\}/g, function (whole, index) {
          return match[Number(index)] || "";
        });
      }
    }
    if (field === "brand.logo") {
      return T.logo_unusable;
    }
    return LANG === "en" ? reason : T.reason_unknown;
  }

  // A problem answer (RFC 9457) as one sentence for a producer: by its type, which names what
  // went wrong, never by its English detail (which may name a field path or a key's role).
  function problemMessage(problem) {
    const kind = String(problem.type || "").split("/").pop();
    const reasons = (problem.problems || []).map(function (item) {
      return translateReason(item.reason || "", item.field || "");
    }).filter(function (text, index, all) { return text && all.indexOf(text) === index; });
    const base = Object.prototype.hasOwnProperty.call(T.problems, kind)
      ? T.problems[kind] : T.problems.other;
    if (kind === "invalid-spec" || kind === "invalid-request" || kind === "invalid-parameter") {
      return reasons.length > 0 ? base + " " + reasons.join(" ") : base;
    }
    return base;
  }

  // A spec problem ({field, reason}) in the shape of a finding, so both are shown alike.
  function problemAsItem(problem) {
    const required = problem.reason === "is required" ||
      /at least 1 character/.test(problem.reason || "");
    return {
      severity: required ? "required" : "error",
      field: problem.field || "",
      message: problem.local ? problem.reason : translateReason(problem.reason || "", problem.field || ""),
      reference: "",
      rule: "",
    };
  }

  function findingAsItem(finding) {
    const field = finding.field || "";
    let message = (LANG === "en" ? finding.message_en : finding.message_vi) ||
      finding.message_vi || finding.message_en || "";
    let carriers = [];
    if (finding.rule === NOT_PRINTED) {
      carriers = templatesNamed(message);
      message = withTemplateNames(message);
    }
    const panel = panelOfField(field);
    if (panel) {
      // Which side of the set: "Mặt sau: …".
      message = panelLabel(panel) + ": " + message;
    }
    return {
      severity: finding.severity,
      field: field,
      message: message,
      reference: finding.reference || "",
      rule: finding.rule || "",
      panel: panel,
      carriers: carriers,
    };
  }

  // ---------------------------------------------------------------- template suggestions

  // The mandatory items the chosen template does not print, named as the form names their
  // fields, with the panels that could carry them and the templates the label fits on.
  function showTemplateNotice(items, suggestions) {
    const notice = els.templateNotice;
    notice.replaceChildren();
    notice.hidden = items.length === 0;
    if (items.length === 0) {
      return;
    }
    const title = document.createElement("p");
    title.className = "template-notice-title";
    title.textContent = T.not_printed_title;
    const list = document.createElement("ul");
    list.className = "template-notice-items";
    const names = [];
    for (const item of items) {
      const name = fieldName(item);
      if (!names.includes(name)) {
        names.push(name);
        const li = document.createElement("li");
        li.textContent = name;
        list.append(li);
      }
    }
    notice.append(title, list);
    const carriers = [];
    for (const item of items) {
      for (const id of item.carriers) {
        if (!carriers.includes(id)) {
          carriers.push(id);
        }
      }
    }
    if (carriers.length > 0) {
      const where = document.createElement("p");
      where.textContent = format(T.not_printed_where, {
        names: carriers.map(function (id) {
          return templateName(id) + " (" + TEMPLATES[id].size + ")";
        }).join(", "),
      });
      notice.append(where);
    }
    const card = form.querySelector("input[data-template]:checked");
    const canAddBack = takesBack(card) && carriers.some(function (id) {
      return backSwitches().some(function (input) { return input.dataset.back === id; });
    });
    const fix = document.createElement("p");
    if (canAddBack) {
      fix.textContent = T.not_printed_add_back;
    } else if (suggestions.length > 0) {
      fix.textContent = T.not_printed_pick;
    } else {
      // No bundled template or set has room for the text as it is.
      fix.textContent = T.not_printed_shorten;
    }
    notice.append(fix);
    if (suggestions.length > 0) {
      const choices = document.createElement("ul");
      choices.className = "suggestion-list";
      choices.append(...suggestionItems(suggestions));
      notice.append(choices);
    }
  }

  // A field's name as the form shows it: "Thành phần", "Địa chỉ" (without "(không bắt buộc)").
  function fieldName(item) {
    const node = targetFor(item.field);
    const label = node ? node.querySelector(".field-label, .card-title") : null;
    if (!label) {
      return item.message;
    }
    const copy = label.cloneNode(true);
    for (const optional of copy.querySelectorAll(".optional")) {
      optional.remove();
    }
    return copy.textContent.trim();
  }

  // "Nhãn này vừa với:" and one button per template or set the service says the label fits.
  function showSuggestions(suggestions) {
    els.suggestionList.replaceChildren(...suggestionItems(suggestions));
    els.suggestions.hidden = suggestions.length === 0;
  }

  function suggestionItems(suggestions) {
    return suggestions.filter(Array.isArray).map(function (ids) {
      const names = setName(ids);
      const li = document.createElement("li");
      li.className = "suggestion";
      li.dataset.templates = ids.join(" ");
      const text = document.createElement("span");
      text.className = "suggestion-text";
      const name = document.createElement("strong");
      name.className = "suggestion-names";
      name.textContent = names;
      const detail = document.createElement("span");
      detail.className = "suggestion-detail";
      const sizes = ids.filter(function (id) {
        return TEMPLATES[id] && !TEMPLATES[id].side_of;
      }).map(function (id) { return TEMPLATES[id].size; });
      const panels = panelsOf(ids).length;
      detail.textContent = (panels > 1 ? format(T.panel_count, { n: panels }) + " · " : "") +
        sizes.join(T.set_join);
      text.append(name, detail);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button-primary suggestion-use";
      button.textContent = T.suggestion_use;
      button.setAttribute("aria-label", format(T.suggestion_use_label, { names: names }));
      button.addEventListener("click", function () { useTemplates(ids); });
      li.append(text, button);
      return li;
    });
  }

  // One click on a suggestion: the template or set is chosen, and the label drawn again.
  function useTemplates(ids) {
    const value = ids.length === 1 ? ids[0] : ids.slice();
    const exact = setTemplateControls(value);
    templateOverride = exact ? null : { value: value, key: controlsKey(), exact: false };
    say(format(T.suggestion_used, { names: setName(ids) }));
    syncFormState();
    store();
    scheduleRefresh(0);
    // The producer wants to see the new label: the preview takes the focus.
    els.preview.focus();
  }

  // The panel a layout finding of a set is about: "layout.back-panel.facts" → "back-panel".
  function panelOfField(field) {
    const parts = field.split(".");
    if (parts[0] !== "layout" || parts.length < 3 || panelIds.length < 2) {
      return null;
    }
    return panelIds.includes(parts[1]) ? parts[1] : null;
  }

  // The template ids a message names, in the order it names them.
  function templatesNamed(message) {
    return Object.keys(TEMPLATES).map(function (id) {
      return { id: id, at: message.search(templatePattern(id)) };
    }).filter(function (hit) { return hit.at >= 0; }).sort(function (a, b) {
      return a.at - b.at;
    }).map(function (hit) { return hit.id; });
  }

  function templatePattern(id) {
    return new RegExp("(^|[^\\w-])" + id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "(?![\\w-])", "g");
  }

  // "… in nội dung này: back-panel." → "… in nội dung này: Nhãn mặt sau (80 × 120 mm)."
  function withTemplateNames(message) {
    let text = message;
    for (const id of templatesNamed(message)) {
      const info = TEMPLATES[id];
      text = text.replace(templatePattern(id), function (whole, before) {
        return before + info.name + " (" + info.size + ")";
      });
    }
    return text;
  }

  // A finding's severity tag and message, as both the field's list and the summary show them.
  function findingSpans(item) {
    const tag = document.createElement("span");
    tag.className = "finding-tag";
    tag.textContent = severityLabel(item.severity);
    const text = document.createElement("span");
    text.className = "finding-text";
    text.textContent = item.message;
    return [tag, text];
  }

  function renderItem(item) {
    const li = document.createElement("li");
    li.className = "finding finding-" + item.severity;
    li.append(...findingSpans(item));
    if (item.reference) {
      const reference = document.createElement("span");
      reference.className = "finding-reference";
      reference.textContent = T.reference + item.reference;
      if (item.rule) {
        reference.title = item.rule;
      }
      li.append(reference);
    }
    if (item.rule) {
      li.dataset.rule = item.rule;
    }
    return li;
  }

  function severityLabel(severity) {
    if (severity === "warning") {
      return T.severity_warning;
    }
    if (severity === "info") {
      return T.severity_info;
    }
    if (severity === "required") {
      return T.severity_required || T.severity_error;
    }
    return T.severity_error;
  }

  function clearFindings() {
    for (const list of document.querySelectorAll(".findings")) {
      list.replaceChildren();
    }
    for (const node of document.querySelectorAll(".has-findings")) {
      node.classList.remove("has-findings", "has-error", "has-warning");
    }
    for (const input of form.querySelectorAll("[data-flag]")) {
      input.removeAttribute("aria-invalid");
      delete input.dataset.flag;
    }
    els.summary.replaceChildren();
  }

  function showFindings(findings, problems, quiet, suggestions) {
    clearFindings();
    const items = localProblems.concat(problems).map(problemAsItem)
      .concat(findings.map(findingAsItem));
    const templateField = fieldIndex.get("template");
    const notPrinted = [];
    for (const item of items) {
      if (item.rule === NOT_PRINTED) {
        // A mandatory item the chosen template has no room for: the field is filled in
        // correctly, the template is what to change. Shown together in the template step.
        notPrinted.push(item);
        markField(templateField, item);
        els.summary.append(summaryItem(item, templateField));
        continue;
      }
      const node = targetFor(item.field);
      const rendered = renderItem(item);
      if (item.rule === OVERFLOW && node && !node.classList.contains("preview") &&
          !node.classList.contains("preview-panel") && (suggestions || []).length > 0) {
        // Shorten the text, or take a template it fits on: one click away, where it is read.
        const fix = document.createElement("div");
        fix.className = "finding-fix";
        const title = document.createElement("p");
        title.className = "finding-fix-title";
        title.textContent = T.overflow_fits;
        const choices = document.createElement("ul");
        choices.className = "suggestion-list";
        choices.append(...suggestionItems(suggestions.slice(0, 2)));
        fix.append(title, choices);
        rendered.append(fix);
      }
      listFor(node).append(rendered);
      if (node) {
        markField(node, item);
        els.summary.append(summaryItem(item, node));
      }
    }
    showTemplateNotice(notPrinted, suggestions || []);
    showSuggestions(suggestions || []);
    if (quiet) {
      return;
    }
    els.summarySection.hidden = false;
    const problemCount = localProblems.length + problems.length;
    const errors = findings.filter(function (f) { return f.severity === "error"; }).length;
    const warnings = findings.filter(function (f) { return f.severity === "warning"; }).length;
    const warningText = warnings ? counted(T.status_warnings, warnings) : "";
    if (problemCount > 0) {
      verdict = { state: "invalid", errors: problemCount };
      setStatus("invalid", counted(T.status_incomplete, problemCount), "");
    } else if (errors > 0) {
      verdict = { state: "errors", errors: errors };
      setStatus("errors", counted(T.status_errors, errors), warningText);
    } else {
      verdict = { state: "compliant", errors: 0 };
      // Printable, but its QR code would answer "not in the system": said where "ready" is.
      const unregistered = findings.some(function (f) {
        return f.rule.indexOf(REGISTRY_RULE_PREFIX) === 0;
      });
      setStatus("compliant", T.status_compliant,
        unregistered ? T.status_not_registered : warningText);
    }
    if (items.length === 0) {
      const none = document.createElement("li");
      none.className = "summary-none";
      none.textContent = T.no_findings;
      els.summary.append(none);
    }
    updateDownloads();
  }

  function markField(node, item) {
    node.classList.add("has-findings");
    if (item.severity === "error" || item.severity === "required") {
      node.classList.add("has-error");
    } else if (item.severity === "warning") {
      node.classList.add("has-warning");
    }
    // A finding on a field the form keeps out of sight (another product group's field, the
    // advanced options) must still be visible.
    if (node.hidden) {
      node.hidden = false;
    }
    const details = node.closest("details");
    if (details) {
      details.open = true;
    }
    const input = inputFor(node, item);
    if (!input || item.severity === "info") {
      return;
    }
    const blocking = item.severity === "error" || item.severity === "required";
    if (blocking) {
      input.setAttribute("aria-invalid", "true");
      input.dataset.flag = "error";
    } else if (input.dataset.flag !== "error") {
      input.dataset.flag = "warning";
    }
  }

  // The input a finding is about: the one filling its exact path, unless that one is empty and
  // the finding is not about a missing value. An expired certificate is reported on
  // `certification.valid_until`, but when that is left empty the date to change is the
  // decision date next to it.
  function inputFor(node, item) {
    const inputs = Array.from(node.querySelectorAll(
      "input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea"));
    const exact = inputs.find(function (input) { return input.dataset.path === item.field; });
    if (exact && (exact.value.trim() !== "" || item.severity === "required")) {
      return exact;
    }
    const filled = inputs.find(function (input) { return input.value.trim() !== ""; });
    return filled || exact || inputs[0] || null;
  }

  // The summary in the side panel: one line per finding, each a button to its field.
  function summaryItem(item, node) {
    const li = document.createElement("li");
    li.className = "summary-item";
    const jump = document.createElement("button");
    jump.type = "button";
    jump.className = "summary-jump finding finding-" + item.severity;
    jump.append(...findingSpans(item));

    jump.title = T.go_to_field;
    jump.addEventListener("click", function () {
      node.scrollIntoView({ behavior: "smooth", block: "center" });
      const input = inputFor(node, item) || node.querySelector("input[data-template]:checked");
      if (input) {
        input.focus({ preventScroll: true });
      }
    });
    li.append(jump);
    return li;
  }

  function setStatus(state, text, sub) {
    els.status.dataset.state = state;
    els.statusText.textContent = text;
    els.statusSub.textContent = sub;
    els.mobileStatus.dataset.state = state;
    els.mobileStatus.textContent = sub ? text + " · " + sub : text;
  }

  // ---------------------------------------------------------------- downloads

  function updateDownloads() {
    let mode = "blocked";
    let note = T.download_incomplete;
    if (verdict.state === "compliant") {
      mode = "final";
      note = T.download_ready;
    } else if (verdict.state === "errors") {
      mode = "draft";
      note = counted(T.download_blocked, verdict.errors);
    } else if (verdict.state === "unknown") {
      mode = "final";
      note = T.status_offline;
    }
    els.downloads.dataset.mode = mode;
    els.downloadNote.textContent = note;
    for (const button of els.downloads.querySelectorAll("button.download")) {
      button.disabled = mode === "blocked";
      button.textContent = mode === "draft" ? button.dataset.draft : button.dataset.final;
      if (button.dataset.finalName) {
        button.setAttribute("aria-label",
          mode === "draft" ? button.dataset.draftName : button.dataset.finalName);
      }
    }
    updatePrintRun();
  }

  // A label of one panel is one PNG or SVG file; a set's PDF holds every panel, and its PNG
  // and SVG files are downloaded one panel at a time.
  function buildPanelDownloads() {
    // A carton's two previews are views of one file: its PDF, PNG and SVG are the flat.
    const several = panelIds.length > 1 && !panelIds.includes("folded");
    for (const button of els.downloadButtons.querySelectorAll("[data-single]")) {
      button.hidden = several;
    }
    els.downloadSetNote.hidden = !several;
    els.downloadSetNote.textContent = several
      ? format(T.download_set_note, { n: panelIds.length }) : "";
    els.downloadPanels.hidden = !several;
    els.downloadPanels.replaceChildren();
    if (!several) {
      return;
    }
    for (const panel of panelIds) {
      const row = document.createElement("li");
      row.className = "download-panel";
      const name = document.createElement("span");
      name.className = "download-panel-name";
      name.textContent = panelLabel(panel);
      const detail = document.createElement("span");
      detail.className = "download-panel-detail";
      detail.textContent = templateName(panel);
      name.append(detail);
      row.append(name);
      for (const fileFormat of ["png", "svg"]) {
        const label = fileFormat.toUpperCase();
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button button-secondary download";
        button.dataset.format = fileFormat;
        button.dataset.panel = panel;
        button.dataset.final = label;
        button.dataset.draft = format(T.draft_file, { format: label });
        button.textContent = label;
        // The name says which panel, and holds the words the button shows.
        const which = { format: label, panel: panelLabel(panel) + " (" + templateName(panel) + ")" };
        button.dataset.finalName = format(T.download_panel_label, which);
        button.dataset.draftName = format(T.download_panel_label_draft, which);
        button.addEventListener("click", function () { download(button); });
        row.append(button);
      }
      els.downloadPanels.append(row);
    }
    updateDownloads();
  }

  function pdfKind() {
    const chosen = document.querySelector("input[name='pdf-kind']:checked");
    return chosen && chosen.value === "cmyk" ? "cmyk" : "rgb";
  }

  function storePdfKind() {
    try {
      localStorage.setItem(PDF_KIND_KEY, pdfKind());
    } catch (error) {
      // Storage full or forbidden: the choice still holds on this page.
    }
  }

  function restorePdfKind() {
    let saved = null;
    try {
      saved = localStorage.getItem(PDF_KIND_KEY);
    } catch (error) {
      return;
    }
    for (const input of els.pdfKinds) {
      input.checked = input.value === (saved === "cmyk" ? "cmyk" : "rgb");
    }
  }

  async function download(button) {
    const draft = els.downloads.dataset.mode === "draft";
    const fileFormat = button.dataset.format;
    const panel = button.dataset.panel || null;
    const cmyk = fileFormat === "pdf" && pdfKind() === "cmyk";
    const spec = buildSpec();
    const fallback = slug(getPath(spec, "product.name")) + "." + fileFormat;
    // A carton's folded box, or the square listing image drawn beside it.
    const view = button.dataset.view || null;
    const listing = "listing" in button.dataset;
    let url = labelUrl(fileFormat, panel, panelsOf(spec.template), draft, view);
    if (listing) {
      url += "&panel=listing";
    }
    if (cmyk) {
      url += "&cmyk=true";
    }
    els.downloads.dataset.busy = "true";
    els.downloadNote.textContent = T.download_working;
    try {
      const response = await postSpec(url, spec, undefined);
      if (response.ok) {
        const blob = await response.blob();
        let name = fileNameFrom(response, fallback);
        if (panel && panelIds.length > 1 && !name.includes("-" + panel + ".")) {
          // One file per panel, named as the service names them in a ZIP: "…-back-panel.png".
          name = name.replace(/(\.[a-z]+)?$/, "-" + panel + "$1");
        }
        if (view === "folded" && !listing && !/-folded(\.|-)/.test(name)) {
          // The service names the folded box as it names the flat's PNG: told apart here.
          name = name.replace(/(\.[a-z]+)?$/, "-folded$1");
        }
        if (cmyk && !/-cmyk(\.|-)/.test(name)) {
          // The press file must be told apart from the office one: "…-cmyk.pdf".
          name = name.replace(/(\.[a-z]+)?$/, "-cmyk$1");
        }
        if (draft && !name.includes(T.draft_suffix)) {
          // A draft must never pass for the print file once it sits in a downloads folder.
          name = name.replace(/(\.[a-z]+)?$/, "-" + T.draft_suffix + "$1");
        }
        saveBlob(blob, name);
        els.downloadNote.textContent = format(T.download_done, { name: name });
        return;
      }
      if (response.status === 422) {
        // The label changed verdict since the last check (a date passed, say): show why.
        await showCheck(response);
        return;
      }
      els.downloadNote.textContent = T.download_failed;
    } catch (error) {
      els.downloadNote.textContent = T.status_offline;
    } finally {
      delete els.downloads.dataset.busy;
    }
  }

  // ---------------------------------------------------------------- print runs

  // The run being made or last made: its links need the same key to be downloaded.
  let printRun = null;

  function updatePrintRun() {
    if (els.run.dataset.state === "working") {
      return;
    }
    const ready = verdict.state === "compliant";
    els.run.dataset.state = ready ? "ready" : "blocked";
    els.runStart.disabled = !ready;
    if (!printRun) {
      els.runNote.textContent = ready ? T.run_ready : T.run_blocked;
    }
  }

  // A new label (a file, the example, a reset) starts the print run afresh: the last run's
  // result or error belongs to the label that was replaced.
  function clearPrintRun() {
    if (els.run.dataset.state === "working") {
      return;
    }
    printRun = null;
    els.runProgress.hidden = true;
    els.runDownloads.hidden = true;
    els.runNote.textContent = "";
    delete els.runNote.dataset.tone;
    updatePrintRun();
  }

  function runHeaders() {
    return { Authorization: "Bearer " + printRun.key };
  }

  function keepKey(key) {
    try {
      sessionStorage.setItem(KEY_STORAGE, key);
    } catch (error) {
      // Storage disabled: the key is typed again next time.
    }
    els.runForget.hidden = false;
  }

  function restoreKey() {
    let key = null;
    try {
      key = sessionStorage.getItem(KEY_STORAGE);
    } catch (error) {
      key = null;
    }
    if (key) {
      els.runKey.value = key;
    }
    els.runForget.hidden = !key;
  }

  function forgetKey() {
    try {
      sessionStorage.removeItem(KEY_STORAGE);
    } catch (error) {
      // Nothing kept.
    }
    els.runKey.value = "";
    els.runForget.hidden = true;
    els.runNote.textContent = T.run_key_forgotten;
    delete els.runNote.dataset.tone;
  }

  async function startPrintRun() {
    const key = els.runKey.value.trim();
    const count = Number(els.runCount.value);
    if (!key || !Number.isInteger(count) || count < 1) {
      els.runNote.textContent = T.run_ready;
      return;
    }
    printRun = { key: key, id: null, name: slug(getPath(buildSpec(), "product.name")) };
    els.run.dataset.state = "working";
    els.runStart.disabled = true;
    els.runDownloads.hidden = true;
    els.runProgress.hidden = false;
    els.runProgress.value = 0;
    els.runNote.textContent = T.run_queued;
    const order = {
      spec: buildSpec(),
      count: count,
      sheet: els.runSheet.value,
      cmyk: els.runCmyk.checked,
    };
    try {
      const response = await fetch(API.runs, {
        method: "POST",
        headers: Object.assign({ "Content-Type": "application/json" }, runHeaders()),
        body: JSON.stringify(order),
        credentials: "same-origin",
      });
      if (!response.ok) {
        finishPrintRun(await readProblem(response));
        return;
      }
      printRun.id = (await response.json()).id;
      // The key was accepted: kept for this tab's next print run.
      keepKey(key);
      await followPrintRun();
    } catch (error) {
      finishPrintRun({ detail: T.status_offline });
    }
  }

  async function followPrintRun() {
    for (;;) {
      const response = await fetch(API.runs + "/" + printRun.id, {
        headers: runHeaders(),
        credentials: "same-origin",
      });
      const job = response.ok ? await response.json() : await readProblem(response);
      if (!response.ok || job.status === "failed") {
        finishPrintRun(job.error || job);
        return;
      }
      const progress = job.progress || {};
      if (job.status === "done") {
        els.runProgress.value = 1;
        els.runNote.textContent = format(T.run_done, { labels: job.labels, sheets: job.sheets });
        els.runDownloads.hidden = false;
        finishPrintRun(null);
        return;
      }
      if (progress.labels_total) {
        els.runProgress.value = progress.labels_done / progress.labels_total;
        els.runNote.textContent = format(T.run_progress, {
          done: progress.labels_done,
          total: progress.labels_total,
          sheet: progress.sheets_done,
          sheets: progress.sheets_total,
        });
      }
      await new Promise(function (resolve) { setTimeout(resolve, RUN_POLL_MS); });
    }
  }

  function finishPrintRun(problem) {
    els.run.dataset.state = "ready";
    els.runStart.disabled = verdict.state !== "compliant";
    if (problem) {
      els.runProgress.hidden = true;
      els.runNote.textContent = format(T.run_failed, { detail: problemMessage(problem) });
      els.runNote.dataset.tone = "error";
    }
  }

  async function downloadRunFile(kind, extension) {
    try {
      const response = await fetch(API.runs + "/" + printRun.id + "/" + kind, {
        headers: runHeaders(),
        credentials: "same-origin",
      });
      if (!response.ok) {
        finishPrintRun(await readProblem(response));
        return;
      }
      const name = fileNameFrom(response, printRun.name + "-run." + extension);
      saveBlob(await response.blob(), name);
    } catch (error) {
      els.runNote.textContent = T.status_offline;
    }
  }

  function saveSpec() {
    const spec = buildSpec();
    const name = slug(getPath(spec, "product.name")) + ".json";
    const blob = new Blob([JSON.stringify(spec, null, 2) + "\n"], { type: "application/json" });
    saveBlob(blob, name);
    say(format(T.saved, { name: name }));
  }

  // ---------------------------------------------------------------- opening files

  async function openSpecFile(file) {
    let doc;
    try {
      const text = await file.text();
      if (/\.json$/i.test(file.name)) {
        try {
          doc = JSON.parse(text.replace(/^\uFEFF/, ""));
        } catch (error) {
          throw new Error(T.not_json);
        }
      } else {
        doc = await parseYaml(text);
      }
      if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new Error(T.not_object);
      }
    } catch (error) {
      say(format(T.load_failed, { name: file.name, reason: error.message }));
      return;
    }
    if (!await replaceWork(format(T.confirm_open, { name: file.name }))) {
      return;
    }
    fillForm(doc);
    store();
    clearPrintRun();
    say(format(T.loaded, { name: file.name }));
    scheduleRefresh(0);
  }

  // YAML is read by the server (there is no YAML reader in the browser); it answers the same
  // document as JSON, or a problem saying where the file is wrong.
  async function parseYaml(text) {
    const response = await fetch(API.parseYaml, {
      method: "POST",
      headers: { "Content-Type": "application/yaml; charset=utf-8" },
      body: text,
      credentials: "same-origin",
    });
    if (response.ok) {
      return response.json();
    }
    const problem = await readProblem(response);
    const reasons = (problem.problems || []).map(function (item) {
      return translateReason(item.reason, item.field);
    });
    throw new Error(reasons.join("; ") || problemMessage(problem));
  }

  async function loadExample() {
    if (!await replaceWork(T.confirm_example)) {
      return;
    }
    try {
      const response = await fetch(API.example, { credentials: "same-origin" });
      fillForm(await response.json());
    } catch (error) {
      say(T.status_offline);
      return;
    }
    store();
    clearPrintRun();
    say(T.example_loaded);
    scheduleRefresh(0);
  }

  // ---------------------------------------------------------------- keeping work across visits

  // Before the producer's work is replaced (an example, a file, a reset): ask, unless there
  // is nothing to lose, and keep what is replaced so that it can be brought back.
  async function replaceWork(message, clearing) {
    const current = buildSpec();
    if (isBlank(current)) {
      return true;
    }
    if (!await confirmReplace(message, clearing)) {
      say(T.kept);
      return false;
    }
    keepPrevious(current);
    return true;
  }

  // A question in the page's own words and style (a browser's confirm box names the site in
  // English on many phones); answers true for "replace", false for "cancel" or Escape.
  function confirmReplace(message, clearing) {
    const dialog = els.confirm;
    if (!dialog || typeof dialog.showModal !== "function") {
      return Promise.resolve(window.confirm(message));
    }
    els.confirmText.textContent = message;
    els.confirmTitle.textContent = clearing ? T.confirm_clear_title : T.confirm_replace_title;
    els.confirmYes.textContent = clearing ? T.confirm_clear : T.confirm_replace;
    return new Promise(function (resolve) {
      function finish(answer) {
        els.confirmYes.removeEventListener("click", yes);
        els.confirmNo.removeEventListener("click", no);
        dialog.removeEventListener("cancel", no);
        if (dialog.open) {
          dialog.close();
        }
        resolve(answer);
      }
      function yes() { finish(true); }
      function no(event) {
        if (event) {
          event.preventDefault();
        }
        finish(false);
      }
      els.confirmYes.addEventListener("click", yes);
      els.confirmNo.addEventListener("click", no);
      dialog.addEventListener("cancel", no);
      dialog.showModal();
      // The safe answer has the focus: Enter keeps the work.
      els.confirmNo.focus();
    });
  }

  function keepPrevious(spec) {
    try {
      localStorage.setItem(PREVIOUS_KEY, JSON.stringify(spec));
    } catch (error) {
      // Storage full or disabled: the question asked first is the only protection left.
    }
    showUndo();
  }

  function previousWork() {
    try {
      const saved = JSON.parse(localStorage.getItem(PREVIOUS_KEY) || "null");
      return saved && typeof saved === "object" && !Array.isArray(saved) ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function showUndo() {
    els.undo.hidden = previousWork() === null;
  }

  // Brings the previous work back; what it replaces becomes the previous work in turn, so a
  // second click undoes the undo.
  function undo() {
    const previous = previousWork();
    if (!previous) {
      showUndo();
      return;
    }
    const current = buildSpec();
    fillForm(previous);
    store();
    try {
      if (isBlank(current)) {
        localStorage.removeItem(PREVIOUS_KEY);
      } else {
        localStorage.setItem(PREVIOUS_KEY, JSON.stringify(current));
      }
    } catch (error) {
      // As in keepPrevious.
    }
    showUndo();
    clearPrintRun();
    say(T.undone);
    scheduleRefresh(0);
  }

  // The spec is kept in this browser so a reload, a switch of language or a lost connection
  // never costs the producer what they typed.
  function store() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(buildSpec()));
    } catch (error) {
      // Storage full (a large logo) or disabled: the page works on without it.
    }
  }

  function restore() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    } catch (error) {
      saved = null;
    }
    if (saved && typeof saved === "object" && !Array.isArray(saved) && !isBlank(saved)) {
      fillForm(saved);
      say(T.restored);
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- the brand kit

  // A kit as stored or as read from a file → its brand (name, colours, logo, typeface), or
  // null when it is not a kit of this page. Only what the form can show is kept.
  function kitBrand(doc) {
    if (!doc || typeof doc !== "object" || doc.format !== KIT_FORMAT ||
        !doc.brand || typeof doc.brand !== "object") {
      return null;
    }
    const source = doc.brand;
    if (typeof source.name !== "string" || source.name.trim() === "" || source.name.length > 200) {
      return null;
    }
    const brand = { name: source.name.trim(), colors: {} };
    const colors = source.colors && typeof source.colors === "object" ? source.colors : {};
    for (const key of COLOR_KEYS) {
      if (typeof colors[key] === "string" && /^#[0-9a-f]{6}$/i.test(colors[key])) {
        brand.colors[key] = colors[key];
      }
    }
    const logoPattern = /^data:image\/(png|jpeg|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/;
    if (typeof source.logo === "string" && logoPattern.test(source.logo) &&
        source.logo.length <= LOGO_MAX_BYTES * 4 / 3 + 64) {
      brand.logo = source.logo;
    }
    if (typeof source.font === "string" && source.font.trim() !== "") {
      brand.font = source.font.trim();
    }
    return brand;
  }

  function kitDocument(brand) {
    return { format: KIT_FORMAT, version: 1, brand: brand };
  }

  function savedKit() {
    try {
      return kitBrand(JSON.parse(localStorage.getItem(KIT_KEY) || "null"));
    } catch (error) {
      return null;
    }
  }

  function storeKit(brand) {
    try {
      localStorage.setItem(KIT_KEY, JSON.stringify(kitDocument(brand)));
      return true;
    } catch (error) {
      return false;
    }
  }

  // The brand as the form holds it now, typeface and colours always written out.
  function formBrand() {
    const brand = { name: els.brandName.value.trim(), colors: {} };
    for (const key of COLOR_KEYS) {
      const input = form.querySelector("input[data-path='brand.colors." + key + "']");
      brand.colors[key] = input.value.toUpperCase();
    }
    if (logoUri) {
      brand.logo = logoUri;
    }
    const chosen = fontInputs.find(function (input) { return input.checked; });
    brand.font = chosen ? chosen.value : (getPath(baseDoc, "brand.font") || DEFAULT_FONT);
    return brand;
  }

  function sameBrand(one, other) {
    return JSON.stringify(kitDocument(one)) === JSON.stringify(kitDocument(other));
  }

  function kitSay(text) {
    els.kitMessage.textContent = text;
  }

  function showKit() {
    const kit = savedKit();
    els.kitApply.disabled = kit === null;
    els.kitExport.disabled = kit === null;
    els.kitState.textContent = kit ? format(T.kit_summary, { name: kit.name }) : els.kitState.dataset.none;
    els.kitState.classList.toggle("is-saved", kit !== null);
  }

  // Puts the kit's brand into the form; the rest of the label is left as it is.
  function fillBrand(brand) {
    els.brandName.value = brand.name;
    for (const key of COLOR_KEYS) {
      const input = form.querySelector("input[data-path='brand.colors." + key + "']");
      setInputValue(input, brand.colors[key]);
      deletePath(baseDoc, "brand.colors." + key);
    }
    setLogo(brand.logo || null);
    localProblems = localProblems.filter(function (item) {
      return !item.field.startsWith("brand.");
    });
    deletePath(baseDoc, "brand.font");
    const font = brand.font || DEFAULT_FONT;
    const offered = fontInputs.find(function (input) { return input.value === font; });
    for (const input of fontInputs) {
      input.checked = input === (offered || fontInputs.find(function (item) {
        return item.value === DEFAULT_FONT;
      }));
    }
    return offered !== undefined;
  }

  function saveKit() {
    const brand = formBrand();
    if (brand.name === "") {
      kitSay(T.kit_need_name);
      els.brandName.focus();
      return;
    }
    kitSay(storeKit(brand) ? format(T.kit_saved, { name: brand.name }) : T.kit_not_saved);
    showKit();
  }

  // Uses a kit on the work in the form; asks first when that would replace another brand.
  async function applyKit(brand, message) {
    const current = formBrand();
    if (current.name !== "" && !sameBrand(current, brand)) {
      if (!await replaceWork(T.kit_replace_confirm)) {
        return false;
      }
    }
    const known = fillBrand(brand);
    changed();
    kitSay(known ? message : format(T.kit_bad_font, { font: brand.font }));
    return true;
  }

  function exportKit() {
    const kit = savedKit();
    if (!kit) {
      showKit();
      return;
    }
    const blob = new Blob([JSON.stringify(kitDocument(kit), null, 2) + "\n"],
      { type: "application/json" });
    saveBlob(blob, "bo-nhan-dien-" + slug(kit.name) + ".json");
  }

  async function importKit(file) {
    let brand = null;
    if (file.size <= KIT_MAX_FILE_BYTES) {
      try {
        brand = kitBrand(JSON.parse((await file.text()).replace(/^\uFEFF/, "")));
      } catch (error) {
        brand = null;
      }
    }
    if (!brand) {
      kitSay(T.kit_bad_file);
      return;
    }
    if (await applyKit(brand, format(T.kit_imported, { name: brand.name }))) {
      if (!storeKit(brand)) {
        kitSay(T.kit_not_saved);
      }
      showKit();
    }
  }

  // A new product (a fresh page, or "Làm lại") starts from the saved kit.
  function startFromKit() {
    const kit = savedKit();
    if (kit) {
      fillBrand(kit);
      syncFormState();
      store();
      kitSay(format(T.kit_applied, { name: kit.name }));
    }
  }

  // ---------------------------------------------------------------- wiring

  form.addEventListener("input", function (event) {
    const path = event.target.dataset ? event.target.dataset.path : undefined;
    if (path) {
      localProblems = localProblems.filter(function (item) { return item.field !== path; });
    }
    if (event.target === els.logoFile || event.target === els.specFile ||
        event.target === els.kitFile) {
      return;
    }
    changed();
  });
  form.addEventListener("change", function (event) {
    if (event.target === els.kitFile) {
      return;
    }
    if (event.target === els.logoFile) {
      if (event.target.files.length > 0) {
        readLogo(event.target.files[0]);
      }
      event.target.value = "";
      return;
    }
    // A date written another way (2026-11-20, 20.11.2026) is shown as 20/11/2026 once typed.
    if (event.target.dataset && event.target.dataset.type === "date") {
      const iso = isoDate(event.target.value.trim());
      if (iso) {
        event.target.value = shownDate(iso);
      }
      return;
    }
    // Radios, checkboxes and selects report here; text inputs already did on "input".
    if (event.target.type === "radio" || event.target.type === "checkbox" ||
        event.target.tagName === "SELECT") {
      changed();
    }
  });
  // Enter in a text field would submit the form and reload the page.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });

  els.logoRemove.addEventListener("click", function () {
    setLogo(null);
    localProblems = localProblems.filter(function (item) { return item.field !== "brand.logo"; });
    changed();
  });
  els.specFile.addEventListener("change", function () {
    if (els.specFile.files.length > 0) {
      openSpecFile(els.specFile.files[0]);
    }
    els.specFile.value = "";
  });
  for (const button of document.querySelectorAll("[data-load-example]")) {
    button.addEventListener("click", loadExample);
  }
  document.getElementById("save-spec").addEventListener("click", saveSpec);
  document.getElementById("reset-form").addEventListener("click", async function () {
    if (!await replaceWork(T.reset_confirm, true)) {
      return;
    }
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch (error) {
      // Nothing stored, nothing to remove.
    }
    resetForm();
    startFromKit();
    clearPrintRun();
    scheduleRefresh(0);
  });
  els.kitSave.addEventListener("click", saveKit);
  els.kitApply.addEventListener("click", function () {
    const kit = savedKit();
    if (kit) {
      applyKit(kit, format(T.kit_applied, { name: kit.name }));
    } else {
      showKit();
    }
  });
  els.kitExport.addEventListener("click", exportKit);
  els.kitFile.addEventListener("change", function () {
    if (els.kitFile.files.length > 0) {
      importKit(els.kitFile.files[0]);
    }
    els.kitFile.value = "";
  });
  els.undo.addEventListener("click", undo);
  for (const button of els.downloadButtons.querySelectorAll("button.download")) {
    button.addEventListener("click", function () { download(button); });
  }
  for (const input of els.pdfKinds) {
    input.addEventListener("change", storePdfKind);
  }
  els.runStart.addEventListener("click", startPrintRun);
  els.runForget.addEventListener("click", forgetKey);
  els.runPdf.addEventListener("click", function () { downloadRunFile("pdf", "pdf"); });
  els.runSerials.addEventListener("click", function () {
    downloadRunFile("serials.csv", "serials.csv");
  });
  // Save at once before leaving: the other language's page restores from storage.
  for (const link of document.querySelectorAll("[data-lang-switch]")) {
    link.addEventListener("click", store);
  }
  window.addEventListener("pagehide", store);

  els.previewEmptyText.dataset.initial = els.previewEmptyText.textContent;
  syncFormState();
  if (!restore()) {
    startFromKit();
  }
  showKit();
  restoreKey();
  restorePdfKind();
  showUndo();
  scheduleRefresh(0);
})();
