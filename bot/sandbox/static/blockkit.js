/* Block Kit and mrkdwn, rendered as Slack's client shows them.
 *
 * Everything is built with DOM nodes and textContent: text from the app is never parsed as HTML.
 * A block or element this renderer does not know is shown as a labelled raw JSON block.
 * window.BlockKit = { mrkdwn, text, blocks, input, inputValue, raw }.
 */
(function () {
  "use strict";

  const EMOJI = {
    "+1": "👍", "-1": "👎", "100": "💯", arrows_counterclockwise: "🔄", books: "📚", brain: "🧠",
    bulb: "💡", chart_with_upwards_trend: "📈", clipboard: "📋", dart: "🎯", eyes: "👀",
    fire: "🔥", gear: "⚙️", heart: "❤️", heavy_check_mark: "✔️", hourglass_flowing_sand: "⏳",
    information_source: "ℹ️", large_green_circle: "🟢", large_yellow_circle: "🟡", link: "🔗",
    lock: "🔒", mag: "🔍", memo: "📝", moneybag: "💰", no_entry: "⛔", ok_hand: "👌",
    point_right: "👉", pray: "🙏", question: "❓", red_circle: "🔴", robot_face: "🤖",
    rocket: "🚀", slightly_smiling_face: "🙂", smile: "😄", sparkles: "✨", speech_balloon: "💬",
    star: "⭐", tada: "🎉", thinking_face: "🤔", thumbsdown: "👎", thumbsup: "👍", warning: "⚠️",
    wave: "👋", white_check_mark: "✅", x: "❌",
  };
  const SAFE_SCHEMES = /^(https?:|mailto:)/i;
  const BULLET = /^(\s*)([•◦▪‣∙·]|-|\d{1,3}[.)])\s+/;
  // *bold*, _italic_, ~strike~: the marker must not touch a letter or digit outside, nor a
  // space inside; the text between must not contain the same marker or a line break.
  const FORMAT = /(?<![\p{L}\p{N}])([*_~])(?!\s)((?:(?!\1).)+?)(?<!\s)\1(?![\p{L}\p{N}])/u;
  const TAGS = { "*": "strong", _: "em", "~": "del" };
  const TOKEN_BASE = 0xe000;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function decodeEntities(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emojify(text) {
    return text.replace(/:([a-z0-9_+\-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  function raw(value, label) {
    const box = el("div", "bk-raw");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", label);
    box.appendChild(el("div", "bk-raw-label", label));
    box.appendChild(el("pre", "bk-raw-json", JSON.stringify(value, null, 2)));
    return box;
  }

  // -- mrkdwn ------------------------------------------------------------------------------

  function angle(inner, ctx) {
    const [target, label] = splitOnce(inner, "|");
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const name = ctx.users[id] || label || id;
      const mention = el("span", "bk-mention", "@" + name);
      if (id === ctx.me) mention.classList.add("bk-mention-me");
      return mention;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      return el("span", "bk-mention", "#" + (ctx.channels[id] || label || id));
    }
    if (target.startsWith("!")) {
      const word = target.slice(1).split("^")[0];
      if (["here", "channel", "everyone"].includes(word)) return el("span", "bk-mention", "@" + word);
      return document.createTextNode(decodeEntities(label || target.slice(1)));
    }
    const url = decodeEntities(target);
    const text = decodeEntities(label || target);
    if (!SAFE_SCHEMES.test(url)) return document.createTextNode(text);
    const link = el("a", "bk-link", text);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }

  function splitOnce(text, separator) {
    const at = text.indexOf(separator);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
  }

  /* One line of mrkdwn: code spans and <…> sequences are set aside as tokens first, so that
     formatting markers inside them are literal; then *bold*, _italic_, ~strike~ nest. */
  function inline(line, ctx) {
    const tokens = [];
    const keep = (node) => {
      tokens.push(node);
      return String.fromCharCode(TOKEN_BASE + tokens.length - 1);
    };
    let text = line.replace(/`([^`]+)`/g, (_, code) => keep(el("code", "bk-code", decodeEntities(code))));
    text = text.replace(/<([^<>]+)>/g, (_, inner) => keep(angle(inner, ctx)));
    const fragment = document.createDocumentFragment();
    format(text, tokens, fragment);
    return fragment;
  }

  function format(text, tokens, parent) {
    let rest = text;
    let match;
    while ((match = FORMAT.exec(rest)) !== null) {
      plain(rest.slice(0, match.index), tokens, parent);
      const styled = el(TAGS[match[1]], "bk-" + TAGS[match[1]]);
      format(match[2], tokens, styled);
      parent.appendChild(styled);
      rest = rest.slice(match.index + match[0].length);
    }
    plain(rest, tokens, parent);
  }

  function plain(text, tokens, parent) {
    let buffer = "";
    const flush = () => {
      if (buffer) parent.appendChild(document.createTextNode(emojify(decodeEntities(buffer))));
      buffer = "";
    };
    for (const char of text) {
      const index = char.charCodeAt(0) - TOKEN_BASE;
      if (index >= 0 && index < tokens.length) {
        flush();
        parent.appendChild(tokens[index]);
      } else {
        buffer += char;
      }
    }
    flush();
  }

  function lines(text, ctx, parent) {
    let quote = null;
    for (const line of text.split("\n")) {
      const quoted = /^(&gt;|>)\s?/.exec(line);
      if (quoted) {
        if (!quote) {
          quote = el("blockquote", "bk-quote");
          parent.appendChild(quote);
        }
        quote.appendChild(lineNode(line.slice(quoted[0].length), ctx));
        continue;
      }
      quote = null;
      parent.appendChild(lineNode(line, ctx));
    }
  }

  function lineNode(line, ctx) {
    const bullet = BULLET.exec(line);
    if (!bullet) {
      const node = el("div", "bk-line");
      if (line === "") node.appendChild(document.createElement("br"));
      else node.appendChild(inline(line, ctx));
      return node;
    }
    const item = el("div", "bk-line bk-list-item");
    item.style.setProperty("--indent", String(Math.min(bullet[1].length, 8)));
    item.appendChild(el("span", "bk-bullet", bullet[2] === "-" ? "•" : bullet[2]));
    const body = el("span", "bk-list-text");
    body.appendChild(inline(line.slice(bullet[0].length), ctx));
    item.appendChild(body);
    return item;
  }

  /* Slack mrkdwn as a block of lines, ```code blocks```, > quotes and bullet lines. */
  function mrkdwn(source, ctx) {
    const root = el("div", "bk-mrkdwn");
    const parts = String(source || "").split("```");
    parts.forEach((part, i) => {
      if (i % 2 === 1 && i < parts.length - 1) {
        root.appendChild(el("pre", "bk-pre", decodeEntities(part.replace(/^\n/, "").replace(/\n$/, ""))));
        return;
      }
      let body = i % 2 === 1 ? "```" + part : part; // an unclosed fence stays as typed
      if (i > 0 && i % 2 === 0) body = body.replace(/^\n/, ""); // the break after a closing fence
      if (i < parts.length - 1) body = body.replace(/\n$/, ""); // the break before an opening one
      if (body !== "" || parts.length === 1) lines(body, ctx, root);
    });
    return root;
  }

  /* A text object: mrkdwn, or plain_text (with :emoji: when `emoji` is not false). */
  function text(object, ctx, className) {
    if (!object || typeof object.text !== "string") return raw(object, "Unsupported text object");
    if (object.type === "mrkdwn") {
      const node = mrkdwn(object.text, ctx);
      if (className) node.classList.add(className);
      return node;
    }
    const span = el("span", ["bk-plain", className].filter(Boolean).join(" "));
    span.textContent = object.emoji === false ? object.text : emojify(object.text);
    return span;
  }

  // -- elements ----------------------------------------------------------------------------

  function button(element, ctx, blockId) {
    const node = el("button", "bk-button");
    node.type = "button";
    if (element.style === "primary") node.classList.add("bk-button-primary");
    if (element.style === "danger") node.classList.add("bk-button-danger");
    node.appendChild(text(element.text, ctx));
    if (element.accessibility_label) node.setAttribute("aria-label", element.accessibility_label);
    node.dataset.focusKey = ["button", blockId || "", element.action_id || "", element.value || ""].join(":");
    node.addEventListener("click", () => {
      if (element.url && SAFE_SCHEMES.test(element.url)) window.open(element.url, "_blank", "noopener");
      if (ctx.onAction) ctx.onAction(element, blockId, node);
    });
    return node;
  }

  function imageAlt(element) {
    const node = el("span", "bk-image-alt", "🖼 " + (element.alt_text || "image"));
    node.setAttribute("role", "img");
    node.setAttribute("aria-label", element.alt_text || "image");
    return node;
  }

  /* A select menu outside a modal (the Home tab's pickers): picking sends the action at once. */
  function selectMenu(element, ctx, blockId) {
    const node = el("select", "bk-select");
    node.dataset.focusKey = ["select", blockId || "", element.action_id || ""].join(":");
    const placeholder = el("option", "", element.placeholder ? emojify(element.placeholder.text) : "");
    placeholder.value = "";
    node.appendChild(placeholder);
    const options =
      element.type === "conversations_select"
        ? Object.entries(ctx.channels || {}).map(([id, name]) => ({ value: id, label: "#" + name }))
        : (element.options || []).map((o) => ({ value: o.value, label: emojify(o.text.text) }));
    for (const option of options) {
      const item = el("option", "", option.label);
      item.value = option.value;
      node.appendChild(item);
    }
    if (element.placeholder) node.setAttribute("aria-label", element.placeholder.text);
    node.addEventListener("change", () => {
      if (node.value && ctx.onAction) ctx.onAction({ ...element, value: node.value }, blockId, node);
    });
    return node;
  }

  function element(element, ctx, blockId) {
    if (element && element.type === "button") return button(element, ctx, blockId);
    if (element && (element.type === "static_select" || element.type === "conversations_select")) {
      return selectMenu(element, ctx, blockId);
    }
    if (element && element.type === "image") return imageAlt(element);
    return raw(element, "Unsupported element: " + (element && element.type));
  }

  // -- blocks ------------------------------------------------------------------------------

  const BLOCKS = {
    section(block, ctx) {
      const node = el("div", "bk-section");
      const content = el("div", "bk-section-content");
      if (block.text) content.appendChild(text(block.text, ctx, "bk-section-text"));
      if (Array.isArray(block.fields) && block.fields.length) {
        const fields = el("div", "bk-fields");
        for (const field of block.fields) fields.appendChild(text(field, ctx, "bk-field"));
        content.appendChild(fields);
      }
      node.appendChild(content);
      if (block.accessory) {
        const accessory = el("div", "bk-accessory");
        accessory.appendChild(element(block.accessory, ctx, block.block_id));
        node.appendChild(accessory);
      }
      return node;
    },
    header(block, ctx) {
      const node = el("div", "bk-header");
      node.setAttribute("role", "heading");
      node.setAttribute("aria-level", "3");
      node.appendChild(text(block.text, ctx));
      return node;
    },
    divider() {
      return el("hr", "bk-divider");
    },
    context(block, ctx) {
      const node = el("div", "bk-context");
      for (const item of block.elements || []) {
        node.appendChild(item && item.type === "image" ? imageAlt(item) : text(item, ctx, "bk-context-item"));
      }
      return node;
    },
    actions(block, ctx) {
      const node = el("div", "bk-actions");
      node.setAttribute("role", "group");
      for (const item of block.elements || []) node.appendChild(element(item, ctx, block.block_id));
      return node;
    },
    // Slack's AI-app block: feedback_buttons (a 👍 and a 👎 sharing one action_id) and icon buttons.
    context_actions(block, ctx) {
      const node = el("div", "bk-actions bk-context-actions");
      node.setAttribute("role", "group");
      for (const item of block.elements || []) {
        if (item && item.type === "feedback_buttons") {
          for (const side of [item.positive_button, item.negative_button]) {
            if (!side) continue;
            const sideButton = { ...side, type: "button", action_id: item.action_id };
            node.appendChild(button(sideButton, ctx, block.block_id));
          }
        } else if (item && item.type === "icon_button") {
          node.appendChild(button({ ...item, type: "button" }, ctx, block.block_id));
        } else {
          node.appendChild(element(item, ctx, block.block_id));
        }
      }
      return node;
    },
    image(block, ctx) {
      const node = el("figure", "bk-image");
      if (block.title) node.appendChild(text(block.title, ctx, "bk-image-title"));
      node.appendChild(imageAlt(block));
      return node;
    },
    rich_text(block, ctx) {
      const node = el("div", "bk-rich-text");
      for (const part of block.elements || []) node.appendChild(richPart(part, ctx));
      return node;
    },
  };

  function richPart(part, ctx) {
    switch (part.type) {
      case "rich_text_section": {
        const node = el("div", "bk-line");
        for (const item of part.elements || []) node.appendChild(richInline(item, ctx));
        return node;
      }
      case "rich_text_preformatted": {
        const node = el("pre", "bk-pre");
        node.textContent = (part.elements || []).map((item) => item.text || item.url || "").join("");
        return node;
      }
      case "rich_text_quote": {
        const node = el("blockquote", "bk-quote");
        for (const item of part.elements || []) node.appendChild(richInline(item, ctx));
        return node;
      }
      case "rich_text_list": {
        const node = el(part.style === "ordered" ? "ol" : "ul", "bk-rich-list");
        for (const section of part.elements || []) {
          const item = el("li");
          item.appendChild(richPart(section, ctx));
          node.appendChild(item);
        }
        return node;
      }
      default:
        return raw(part, "Unsupported rich text part: " + part.type);
    }
  }

  function richInline(item, ctx) {
    let node;
    switch (item.type) {
      case "text":
        node = document.createTextNode(item.text || "");
        break;
      case "link":
        node = angle((item.url || "") + (item.text ? "|" + item.text : ""), ctx);
        break;
      case "user":
        node = angle("@" + item.user_id, ctx);
        break;
      case "channel":
        node = angle("#" + item.channel_id, ctx);
        break;
      case "emoji":
        node = document.createTextNode(item.unicode ? String.fromCodePoint(...item.unicode.split("-").map((h) => parseInt(h, 16))) : emojify(":" + item.name + ":"));
        break;
      default:
        return raw(item, "Unsupported rich text element: " + item.type);
    }
    const style = item.style || {};
    for (const [flag, tag] of [["code", "code"], ["strike", "del"], ["italic", "em"], ["bold", "strong"]]) {
      if (style[flag]) {
        const wrapper = el(tag, tag === "code" ? "bk-code" : "bk-" + tag);
        wrapper.appendChild(node);
        node = wrapper;
      }
    }
    return node;
  }

  /* The blocks of a message or a modal; `ctx.input(block)` renders input blocks (modals). */
  function blocks(list, ctx) {
    const root = el("div", "bk-blocks");
    for (const block of list || []) {
      let node;
      try {
        if (block && block.type === "input" && ctx.input) node = ctx.input(block);
        else if (block && Object.prototype.hasOwnProperty.call(BLOCKS, block.type)) node = BLOCKS[block.type](block, ctx);
        else node = raw(block, "Unsupported block: " + (block && block.type));
      } catch (error) {
        node = raw(block, "Could not render block: " + (block && block.type));
      }
      if (block && block.block_id) node.dataset.blockId = block.block_id;
      root.appendChild(node);
    }
    return root;
  }

  // -- input blocks (modals) ---------------------------------------------------------------

  function optionList(element) {
    if (Array.isArray(element.option_groups)) return element.option_groups.flatMap((group) => group.options || []);
    return element.options || [];
  }

  function optionLabel(option) {
    return option && option.text ? emojify(option.text.text || "") : "";
  }

  /* An input block: label, control, hint and error. `draft` is what the person entered
     before a re-render (undefined: the element's initial value). */
  function input(block, ctx, draft, error) {
    const id = "input-" + block.block_id;
    const node = el("div", "bk-input");
    node.dataset.blockId = block.block_id;
    const label = el("label", "bk-input-label");
    label.htmlFor = id;
    label.appendChild(text(block.label, ctx));
    if (block.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
    node.appendChild(label);
    const described = [];
    const control = inputControl(block.element || {}, id, draft, ctx);
    node.appendChild(control);
    if (error) {
      const message = el("div", "bk-error", error);
      message.id = id + "-error";
      node.appendChild(message);
      node.classList.add("bk-input-invalid");
      described.push(message.id);
    }
    if (block.hint) {
      const hint = text(block.hint, ctx, "bk-hint");
      hint.id = id + "-hint";
      node.appendChild(hint);
      described.push(hint.id);
    }
    const focusable = control.matches("input, select, textarea") ? control : control.querySelector("input, select, textarea");
    if (focusable) {
      if (described.length) focusable.setAttribute("aria-describedby", described.join(" "));
      if (error) focusable.setAttribute("aria-invalid", "true");
      if (!block.optional) focusable.setAttribute("aria-required", "true");
    }
    return node;
  }

  function inputControl(element, id, draft, ctx) {
    switch (element.type) {
      case "static_select":
      case "multi_static_select": {
        const select = el("select", "bk-select");
        select.id = id;
        const multiple = element.type === "multi_static_select";
        select.multiple = multiple;
        const initial = multiple
          ? (element.initial_options || []).map((o) => o.value)
          : element.initial_option ? [element.initial_option.value] : [];
        const chosen = draft === undefined ? initial : [].concat(draft === null ? [] : draft);
        if (!multiple) {
          const placeholder = el("option", "", element.placeholder ? element.placeholder.text : "Select an option");
          placeholder.value = "";
          placeholder.disabled = true;
          placeholder.selected = chosen.length === 0;
          select.appendChild(placeholder);
        }
        for (const option of optionList(element)) {
          const item = el("option", "", optionLabel(option));
          item.value = option.value;
          item.selected = chosen.includes(option.value);
          select.appendChild(item);
        }
        return select;
      }
      case "plain_text_input": {
        const field = el(element.multiline ? "textarea" : "input", "bk-text-input");
        field.id = id;
        if (element.multiline) field.rows = 4;
        else field.type = "text";
        if (element.placeholder) field.placeholder = element.placeholder.text;
        field.value = draft === undefined ? element.initial_value || "" : draft || "";
        return field;
      }
      case "number_input": {
        const field = el("input", "bk-text-input");
        field.id = id;
        field.type = "number";
        field.step = element.is_decimal_allowed ? "any" : "1";
        field.value = draft === undefined ? element.initial_value || "" : draft || "";
        return field;
      }
      case "radio_buttons":
      case "checkboxes": {
        const group = el("div", "bk-choices");
        group.setAttribute("role", element.type === "radio_buttons" ? "radiogroup" : "group");
        group.id = id;
        const initial = element.type === "radio_buttons"
          ? element.initial_option ? [element.initial_option.value] : []
          : (element.initial_options || []).map((o) => o.value);
        const chosen = draft === undefined ? initial : [].concat(draft === null ? [] : draft);
        (element.options || []).forEach((option, i) => {
          const row = el("label", "bk-choice");
          const box = el("input");
          box.type = element.type === "radio_buttons" ? "radio" : "checkbox";
          box.name = id;
          box.value = option.value;
          box.checked = chosen.includes(option.value);
          if (i === 0) box.id = id + "-first";
          row.appendChild(box);
          row.appendChild(text(option.text, ctx));
          group.appendChild(row);
        });
        return group;
      }
      default:
        return raw(element, "Unsupported input element: " + element.type);
    }
  }

  /* What an input block's control holds, as the emulator's `submit_view` takes it. */
  function inputValue(node, element) {
    switch (element.type) {
      case "static_select": {
        const select = node.querySelector("select");
        return select && select.value ? select.value : null;
      }
      case "multi_static_select":
        return Array.from(node.querySelector("select").selectedOptions).map((o) => o.value);
      case "plain_text_input":
      case "number_input": {
        const field = node.querySelector("input, textarea");
        return field && field.value !== "" ? field.value : null;
      }
      case "radio_buttons": {
        const checked = node.querySelector("input:checked");
        return checked ? checked.value : null;
      }
      case "checkboxes":
        return Array.from(node.querySelectorAll("input:checked")).map((box) => box.value);
      default:
        return undefined;
    }
  }

  window.BlockKit = { mrkdwn, text, blocks, input, inputValue, raw, emojify };
})();
