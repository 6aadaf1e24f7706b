/* The sandbox page: a small Slack client for one person, over the page server's JSON endpoints.
 *
 * State arrives whole from /sandbox/events (server-sent events) whenever the emulated workspace
 * changes; the page re-renders only the messages that changed, so focus and scrolling stay put.
 * Actions go to /sandbox/send, /sandbox/click, /sandbox/submit and /sandbox/close; the app's
 * Home tab to /sandbox/home and /sandbox/home_action; the assistant panel to /sandbox/assistant.
 */
(function () {
  "use strict";

  const UI = {
    appBadge: "APP",
    channelPlaceholder: (name) => `Message #${name}`,
    dmPlaceholder: (name) => `Message ${name}`,
    channelIntro: (name, bot) =>
      `This is the very beginning of #${name}. It is a local sandbox: a pretend Slack workspace with ` +
      `the real ${bot} bot installed. Mention @${bot} with a question and it answers in a thread, ` +
      `with its sources. Type /ai-strategy for a guided assessment; the recommendation comes to you ` +
      `in a direct message.`,
    dmIntro: (bot) =>
      `This is your direct message with ${bot}. Ask a question (no mention needed); recommendations ` +
      `from /ai-strategy arrive here.`,
    tryThese: "Try:",
    channelTopic: (bot) => `Ask @${bot} about prompt engineering and fine-tuning`,
    dmTopic: "Direct message",
    onlyYou: "Only visible to you",
    edited: "(edited)",
    replies: (n) => (n === 1 ? "1 reply" : `${n} replies`),
    openThread: (n) => `Open thread, ${n === 1 ? "1 reply" : `${n} replies`}`,
    modalButtons: "Buttons inside modals are not supported by the sandbox yet.",
    reaction: (name, count, who) => `${name} reaction, ${count}, by ${who}`,
    status: (bot, status) => (status.startsWith("is ") ? `${bot} ${status}` : `${bot}: ${status}`),
    required: "Please complete this required field.",
    tooLong: (n) => `Must be ${n} characters or fewer.`,
    tooShort: (n) => `Must be at least ${n} characters.`,
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    close: "Close",
    back: "Back",
    cancel: "Cancel",
    submitting: "Sending…",
    trouble: "We had some trouble connecting. Try again?",
    threadIn: (name) => `in #${name}`,
    threadInDm: (name) => `with ${name}`,
    thread: "Thread",
    assistantThread: "Assistant thread",
    homeLoading: "Opening the Home tab…",
  };

  const $ = (id) => document.getElementById(id);
  const view = {
    messages: $("messages"),
    thread: $("thread"),
    threadMessages: $("thread-messages"),
    composer: $("composer"),
    input: $("composer-input"),
    threadComposer: $("thread-composer"),
    threadInput: $("thread-input"),
    modalRoot: $("modal-root"),
    notice: $("notice"),
  };

  let state = null;
  let active = null; // the open conversation's id
  let homeOpen = false; // the app's Home tab is showing instead of a conversation
  let openThread = null; // the ts of the open thread's parent
  const seen = {}; // conversation id -> items seen, for unread badges
  const drafts = {}; // view id -> {block_id: value} entered, kept across re-renders
  let clientErrors = {}; // block_id -> message, from the page's own checks (as Slack's client does)
  let modalKey = null;
  let modalAnswerKey = null; // what the app last made of the modal: a new answer replaces the page's own errors
  let returnFocus = null;
  const signatures = new WeakMap();
  let stickToBottom = false; // the person just sent something: show it, and what follows

  // -- small helpers -----------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const byTs = (a, b) => parseFloat(a.ts) - parseFloat(b.ts);

  function conversation(id) {
    return state && state.conversations.find((c) => c.id === id);
  }

  function isBot(message) {
    return Boolean(message.bot_id) || (state && message.user === state.bot.id);
  }

  function nameOf(userId) {
    return (state && state.users[userId]) || userId || "unknown";
  }

  function renderContext(onAction) {
    return { users: state.users, channels: state.channels, me: state.me.id, onAction };
  }

  function showNotice(text) {
    view.notice.textContent = text;
    view.notice.hidden = false;
    clearTimeout(showNotice.timer);
    showNotice.timer = setTimeout(() => (view.notice.hidden = true), 8000);
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      showNotice(UI.trouble);
      return null;
    }
    const answer = await response.json().catch(() => ({ ok: false, error: UI.trouble }));
    if (!answer.ok) showNotice(answer.error || UI.trouble);
    refresh();
    return answer;
  }

  async function refresh() {
    const response = await fetch("/sandbox/state", { cache: "no-store" }).catch(() => null);
    if (response && response.ok) apply(await response.json());
  }

  // -- messages ----------------------------------------------------------------------------

  function avatar(message, bot) {
    const node = el("div", "avatar" + (bot ? " avatar-bot" : ""), bot ? "AI" : nameOf(message.user).slice(0, 1).toUpperCase());
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function timeOf(ts) {
    const date = new Date(parseFloat(ts) * 1000);
    const node = el("time", "message-time", date.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }));
    node.dateTime = date.toISOString();
    return node;
  }

  /* A person's typed message carries the emulator's plain rich_text copy of its text; Slack
     shows it as the text with mentions resolved, which is what rendering `text` gives. */
  function assistantThread(channel, ts) {
    return (state.assistant_threads || []).find((t) => t.channel === channel && t.thread_ts === ts);
  }

  function body(message, ctx) {
    if (message.subtype === "assistant_app_thread") {
      const thread = assistantThread(active, message.ts);
      return el("span", "assistant-thread-label", "✦ " + ((thread && thread.title) || UI.assistantThread));
    }
    const blocks = message.blocks || [];
    const typed = !isBot(message) && blocks.every((block) => block.type === "rich_text");
    if (blocks.length && !typed) return BlockKit.blocks(blocks, ctx);
    return BlockKit.mrkdwn(message.text || "", ctx);
  }

  function reactions(message) {
    const row = el("div", "reactions");
    for (const reaction of message.reactions || []) {
      const chip = el("span", "reaction");
      const who = reaction.users.map(nameOf).join(", ");
      chip.setAttribute("role", "img");
      chip.setAttribute("aria-label", UI.reaction(`:${reaction.name}:`, reaction.count, who));
      chip.title = `:${reaction.name}: ${who}`;
      chip.appendChild(el("span", "reaction-emoji", BlockKit.emojify(`:${reaction.name}:`)));
      chip.appendChild(el("span", "reaction-count", String(reaction.count)));
      row.appendChild(chip);
    }
    return row;
  }

  function renderMessage(message, conv, { ephemeral = false, inThread = false } = {}) {
    const node = el("div", "message" + (ephemeral ? " message-ephemeral" : ""));
    node.dataset.ts = message.ts;
    const bot = ephemeral || isBot(message); // ephemeral messages are the app's, to the person
    node.appendChild(avatar(message, bot));
    const main = el("div", "message-main");
    const meta = el("div", "message-meta");
    meta.appendChild(el("span", "message-author", bot ? state.bot.name : nameOf(message.user)));
    if (bot) meta.appendChild(el("span", "app-badge", UI.appBadge));
    meta.appendChild(timeOf(message.ts));
    main.appendChild(meta);
    const ctx = renderContext((element, blockId, button) => click(conv.id, message.ts, element, button));
    const content = el("div", "message-content");
    content.appendChild(body(message, ctx));
    if (message.edited) content.appendChild(el("span", "message-edited", UI.edited));
    main.appendChild(content);
    if (ephemeral) {
      const note = el("div", "ephemeral-note");
      note.appendChild(el("span", "ephemeral-eye", "👁"));
      note.appendChild(el("span", "", UI.onlyYou));
      main.appendChild(note);
    }
    if ((message.reactions || []).length) main.appendChild(reactions(message));
    if (!inThread && message.reply_count) {
      const link = el("button", "thread-link");
      link.type = "button";
      link.dataset.focusKey = "thread:" + message.ts;
      link.setAttribute("aria-label", UI.openThread(message.reply_count));
      const faces = el("span", "thread-faces");
      for (const user of message.reply_users || []) {
        const face = el("span", "thread-face" + (user === state.bot.id ? " avatar-bot" : ""), user === state.bot.id ? "AI" : nameOf(user).slice(0, 1).toUpperCase());
        faces.appendChild(face);
      }
      link.appendChild(faces);
      link.appendChild(el("span", "thread-count", UI.replies(message.reply_count)));
      link.addEventListener("click", () => openThreadOf(message.ts));
      main.appendChild(link);
    }
    node.appendChild(main);
    return node;
  }

  function click(conversationId, ts, element, button) {
    button.classList.add("bk-button-busy");
    post("/sandbox/click", {
      conversation: conversationId,
      ts,
      action_id: element.action_id,
      value: element.value === undefined ? null : element.value,
    }).finally(() => button.classList.remove("bk-button-busy"));
  }

  /* Keep the nodes of unchanged items, so that focus, selection and scrolling survive updates. */
  function reconcile(container, items) {
    const existing = new Map();
    for (const child of container.children) if (child.dataset.key) existing.set(child.dataset.key, child);
    const focused = document.activeElement;
    const focusKey = focused && container.contains(focused) ? focused.dataset.focusKey : null;
    const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
    const wanted = items.map((item) => {
      const current = existing.get(item.key);
      if (current && signatures.get(current) === item.signature) return current;
      const node = item.build();
      node.dataset.key = item.key;
      signatures.set(node, item.signature);
      return node;
    });
    wanted.forEach((node, i) => {
      if (container.children[i] !== node) container.insertBefore(node, container.children[i] || null);
    });
    while (container.children.length > wanted.length) container.lastElementChild.remove();
    if (focusKey && !container.contains(document.activeElement)) {
      const again = container.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
    if (atBottom || stickToBottom) container.scrollTop = container.scrollHeight;
  }

  // -- the open conversation ---------------------------------------------------------------

  function intro(conv) {
    const box = el("div", "intro");
    const dm = conv.kind === "im";
    box.appendChild(el("h2", "intro-title", dm ? conv.name : "#" + conv.name));
    box.appendChild(el("p", "intro-text", dm ? UI.dmIntro(state.bot.name) : UI.channelIntro(conv.name, state.bot.name)));
    if (conv.bot_is_member) {
      const examples = el("div", "examples");
      examples.appendChild(el("span", "examples-label", UI.tryThese));
      for (const question of state.examples) {
        const chip = el("button", "example", question);
        chip.type = "button";
        chip.addEventListener("click", () => {
          view.input.value = (dm ? "" : `@${state.bot.name} `) + question;
          view.input.focus();
          autosize(view.input);
        });
        examples.appendChild(chip);
      }
      box.appendChild(examples);
    }
    return box;
  }

  function mainItems(conv) {
    const shown = conv.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === "thread_broadcast");
    const mine = conv.ephemeral.filter((m) => !m.thread_ts).map((m) => ({ ...m, ephemeral: true }));
    return [...shown, ...mine].sort(byTs);
  }

  function renderConversation() {
    const conv = conversation(active);
    if (!conv) return;
    const dm = conv.kind === "im";
    $("conversation-title").textContent = dm ? conv.name : "# " + conv.name;
    $("conversation-topic").textContent = dm ? UI.dmTopic : UI.channelTopic(state.bot.name);
    view.input.placeholder = dm ? UI.dmPlaceholder(conv.name) : UI.channelPlaceholder(conv.name);
    $("composer-label").textContent = dm ? UI.dmPlaceholder(conv.name) : UI.channelPlaceholder(conv.name);
    const users = JSON.stringify(state.users);
    const items = [{ key: "intro:" + conv.id, signature: JSON.stringify(state.examples), build: () => intro(conv) }];
    for (const message of mainItems(conv)) {
      items.push({
        key: (message.ephemeral ? "e:" : "m:") + message.ts,
        signature: JSON.stringify(message) + users,
        build: () => renderMessage(message, conv, { ephemeral: message.ephemeral }),
      });
    }
    reconcile(view.messages, items);
    renderStatus($("status-line"), conv, null);
  }

  function renderStatus(line, conv, threadTs) {
    const showing = state.statuses.filter((s) => s.channel === conv.id && (threadTs === null || s.thread_ts === threadTs));
    line.textContent = showing.map((s) => UI.status(state.bot.name, s.status)).join(" · ");
    line.hidden = showing.length === 0;
  }

  // -- the thread panel --------------------------------------------------------------------

  function openThreadOf(ts) {
    openThread = ts;
    view.thread.hidden = false;
    view.threadMessages.replaceChildren();
    renderThread();
    view.threadInput.focus();
  }

  function closeThread() {
    if (openThread === null) return;
    const parentTs = openThread;
    openThread = null;
    view.thread.hidden = true;
    const link = view.messages.querySelector(`[data-focus-key="thread:${CSS.escape(parentTs)}"]`);
    (link || view.input).focus();
  }

  function renderThread() {
    const conv = conversation(active);
    if (openThread === null || !conv) return;
    const parent = conv.messages.find((m) => m.ts === openThread);
    if (!parent) return closeThread();
    $("thread-channel").textContent = conv.kind === "im" ? UI.threadInDm(conv.name) : UI.threadIn(conv.name);
    const replies = conv.messages.filter((m) => m.thread_ts === openThread && m.ts !== openThread);
    const mine = conv.ephemeral.filter((m) => m.thread_ts === openThread).map((m) => ({ ...m, ephemeral: true }));
    const users = JSON.stringify(state.users);
    const items = [
      { key: "parent", signature: JSON.stringify(parent) + users, build: () => renderMessage(parent, conv, { inThread: true }) },
      { key: "count", signature: String(replies.length), build: () => el("div", "thread-divider", UI.replies(replies.length)) },
    ];
    for (const message of [...replies, ...mine].sort(byTs)) {
      items.push({
        key: (message.ephemeral ? "e:" : "m:") + message.ts,
        signature: JSON.stringify(message) + users,
        build: () => renderMessage(message, conv, { ephemeral: message.ephemeral, inThread: true }),
      });
    }
    reconcile(view.threadMessages, items);
    renderStatus($("thread-status-line"), conv, openThread);
    renderPrompts(assistantThread(conv.id, openThread), replies.some((m) => !isBot(m)));
  }

  /* An assistant thread: its title, and the suggested prompts until the person has asked. */
  function renderPrompts(thread, asked) {
    $("thread-title").textContent = thread ? thread.title || UI.assistantThread : UI.thread;
    const box = $("thread-prompts");
    const prompts = thread && !asked ? thread.prompts || [] : [];
    box.hidden = prompts.length === 0;
    const signature = JSON.stringify(prompts);
    if (box.dataset.signature === signature) return;
    box.dataset.signature = signature;
    box.replaceChildren();
    if (thread && thread.prompts_title) box.appendChild(el("span", "examples-label", thread.prompts_title));
    for (const prompt of prompts) {
      const chip = el("button", "example", prompt.title);
      chip.type = "button";
      chip.addEventListener("click", () => {
        stickToBottom = true;
        post("/sandbox/send", { conversation: active, text: prompt.message, thread_ts: openThread });
      });
      box.appendChild(chip);
    }
  }

  // -- the app's Home tab and the assistant panel -------------------------------------------

  function showHome() {
    homeOpen = true;
    active = null;
    openThread = null;
    view.thread.hidden = true;
    $("conversation").hidden = true;
    $("home-pane").hidden = false;
    if (!state.home) $("home-blocks").replaceChildren(el("p", "intro-text", UI.homeLoading));
    render();
    post("/sandbox/home", {});
  }

  function renderHome() {
    $("home-button").classList.toggle("sidebar-item-active", homeOpen);
    if (!homeOpen || !state.home) return;
    const signature = JSON.stringify([state.home.hash, state.home.blocks, state.channels]);
    const container = $("home-blocks");
    if (container.dataset.signature === signature) return;
    container.dataset.signature = signature;
    const ctx = renderContext((element, blockId, node) => {
      node.classList.add("bk-button-busy");
      post("/sandbox/home_action", {
        action_id: element.action_id,
        value: element.value === undefined ? null : element.value,
      }).finally(() => node.classList.remove("bk-button-busy"));
    });
    container.replaceChildren(BlockKit.blocks(state.home.blocks || [], ctx));
  }

  async function openAssistant() {
    const viewing = homeOpen ? null : active;
    const answer = await post("/sandbox/assistant", viewing ? { viewing } : {});
    if (!answer || !answer.ok) return;
    await refresh();
    switchTo(answer.conversation);
    openThreadOf(answer.thread_ts);
  }

  // -- the sidebar -------------------------------------------------------------------------

  function itemCount(conv) {
    return conv.messages.length + conv.ephemeral.length;
  }

  function renderSidebar() {
    $("team-name").textContent = state.team;
    const lists = { channel: $("channel-list"), group: $("channel-list"), im: $("dm-list") };
    const rows = { channel: [], group: [], im: [] };
    for (const conv of state.conversations) {
      if (seen[conv.id] === undefined || conv.id === active) seen[conv.id] = itemCount(conv);
      const unread = itemCount(conv) - seen[conv.id];
      const item = el("li");
      const button = el("button", "sidebar-item" + (conv.id === active ? " sidebar-item-active" : "") + (unread ? " sidebar-item-unread" : ""));
      button.type = "button";
      button.dataset.conversation = conv.id;
      if (conv.id === active) button.setAttribute("aria-current", "page");
      button.appendChild(el("span", "sidebar-prefix", conv.kind === "im" ? "●" : "#"));
      button.appendChild(el("span", "sidebar-name", conv.name));
      if (conv.kind === "im") button.appendChild(el("span", "app-badge app-badge-dark", UI.appBadge));
      if (unread) {
        const badge = el("span", "unread-badge", String(unread));
        badge.setAttribute("aria-label", `${unread} new`);
        button.appendChild(badge);
      }
      button.addEventListener("click", () => switchTo(conv.id));
      item.appendChild(button);
      rows[conv.kind].push(item);
    }
    lists.channel.replaceChildren(...rows.channel, ...rows.group);
    lists.im.replaceChildren(...rows.im);
  }

  function switchTo(id) {
    if (id === active && !homeOpen) return;
    homeOpen = false;
    $("home-pane").hidden = true;
    $("conversation").hidden = false;
    active = id;
    openThread = null;
    view.thread.hidden = true;
    view.messages.replaceChildren();
    render();
    view.messages.scrollTop = view.messages.scrollHeight;
    view.input.focus();
  }

  // -- the modal ---------------------------------------------------------------------------

  function saveDraft() {
    const form = view.modalRoot.querySelector("form.modal");
    if (!form) return;
    const viewId = form.dataset.viewId;
    const blocks = JSON.parse(form.dataset.blocks);
    const draft = (drafts[viewId] = drafts[viewId] || {});
    for (const node of form.querySelectorAll(".bk-input")) {
      const block = blocks.find((b) => b.block_id === node.dataset.blockId);
      if (!block) continue;
      const value = BlockKit.inputValue(node, block.element || {});
      if (value !== undefined) draft[block.block_id] = value;
    }
  }

  function renderModal() {
    const modal = state.modal;
    const answerKey = modal ? JSON.stringify([modal.id, modal.hash, modal.errors || {}]) : null;
    if (answerKey !== modalAnswerKey) clientErrors = {};
    modalAnswerKey = answerKey;
    const key = modal ? JSON.stringify([answerKey, clientErrors, modal.depth]) : null;
    if (key === modalKey) return;
    const focusedBlock = document.activeElement && document.activeElement.closest && document.activeElement.closest(".bk-input");
    const focusedId = focusedBlock ? focusedBlock.dataset.blockId : null;
    const previousView = view.modalRoot.querySelector("form.modal");
    const sameView = previousView && modal && previousView.dataset.viewId === modal.id;
    saveDraft();
    modalKey = key;
    if (!modal) {
      view.modalRoot.replaceChildren();
      if (previousView) (returnFocus && document.contains(returnFocus) ? returnFocus : view.input).focus();
      return;
    }
    if (!previousView) returnFocus = document.activeElement;
    view.modalRoot.replaceChildren(buildModal(modal));
    const errors = { ...(modal.errors || {}), ...clientErrors };
    const firstError = Object.keys(errors).length ? view.modalRoot.querySelector(".bk-input-invalid input, .bk-input-invalid select, .bk-input-invalid textarea") : null;
    const again = sameView && focusedId ? view.modalRoot.querySelector(`.bk-input[data-block-id="${CSS.escape(focusedId)}"] input, .bk-input[data-block-id="${CSS.escape(focusedId)}"] select, .bk-input[data-block-id="${CSS.escape(focusedId)}"] textarea`) : null;
    const first = view.modalRoot.querySelector(".modal-body input, .modal-body select, .modal-body textarea, .modal-body button") || view.modalRoot.querySelector(".modal-footer button");
    (firstError || again || first).focus();
  }

  function buildModal(modal) {
    const backdrop = el("div", "modal-backdrop");
    const form = el("form", "modal");
    form.noValidate = true;
    form.dataset.viewId = modal.id;
    form.dataset.blocks = JSON.stringify(modal.blocks || []);
    form.setAttribute("role", "dialog");
    form.setAttribute("aria-modal", "true");
    form.setAttribute("aria-labelledby", "modal-title");

    const header = el("div", "modal-header");
    if (modal.depth > 1) {
      const back = el("button", "icon-button modal-back", "‹");
      back.type = "button";
      back.setAttribute("aria-label", UI.back);
      back.addEventListener("click", () => closeModal(false));
      header.appendChild(back);
    }
    const title = el("h2", "modal-title");
    title.id = "modal-title";
    title.appendChild(BlockKit.text(modal.title, renderContext()));
    header.appendChild(title);
    const x = el("button", "icon-button modal-x", "✕");
    x.type = "button";
    x.setAttribute("aria-label", UI.close + " (Esc)");
    x.addEventListener("click", () => closeModal(true));
    header.appendChild(x);
    form.appendChild(header);

    const errors = { ...(modal.errors || {}), ...clientErrors };
    const draft = drafts[modal.id] || {};
    const ctx = renderContext(() => showNotice(UI.modalButtons));
    ctx.input = (block) => BlockKit.input(block, ctx, draft[block.block_id], errors[block.block_id]);
    const content = el("div", "modal-body");
    content.appendChild(BlockKit.blocks(modal.blocks || [], ctx));
    form.appendChild(content);

    const footer = el("div", "modal-footer");
    const close = el("button", "bk-button", modal.close ? BlockKit.emojify(modal.close.text) : UI.cancel);
    close.type = "button";
    close.addEventListener("click", () => closeModal(false));
    footer.appendChild(close);
    if (modal.submit) {
      const submit = el("button", "bk-button bk-button-primary modal-submit", BlockKit.emojify(modal.submit.text));
      submit.type = "submit";
      footer.appendChild(submit);
    }
    form.appendChild(footer);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitModal(form, modal);
    });
    form.addEventListener("keydown", trapTab);
    backdrop.appendChild(form);
    return backdrop;
  }

  function trapTab(event) {
    if (event.key !== "Tab") return;
    const focusable = Array.from(event.currentTarget.querySelectorAll("button, input, select, textarea, a[href]")).filter((node) => !node.disabled);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  /* Checks Slack's client makes before it submits: required inputs filled, text lengths. */
  function checkInputs(form, modal) {
    const values = {};
    const errors = {};
    for (const node of form.querySelectorAll(".bk-input")) {
      const block = (modal.blocks || []).find((b) => b.block_id === node.dataset.blockId);
      const element = (block && block.element) || {};
      const value = BlockKit.inputValue(node, element);
      if (value === undefined) continue;
      values[block.block_id] = value;
      const empty = value === null || (Array.isArray(value) && value.length === 0);
      if (empty && !block.optional) errors[block.block_id] = UI.required;
      if (typeof value === "string" && element.type === "plain_text_input") {
        if (element.max_length && value.length > element.max_length) errors[block.block_id] = UI.tooLong(element.max_length);
        if (element.min_length && value.length < element.min_length) errors[block.block_id] = UI.tooShort(element.min_length);
      }
    }
    return { values, errors };
  }

  async function submitModal(form, modal) {
    saveDraft();
    const { values, errors } = checkInputs(form, modal);
    clientErrors = errors;
    if (Object.keys(errors).length) {
      modalKey = null;
      renderModal();
      return;
    }
    const submit = form.querySelector(".modal-submit");
    submit.disabled = true;
    submit.textContent = UI.submitting;
    const answer = await post("/sandbox/submit", { values });
    if (!answer || !answer.ok) {
      submit.disabled = false;
      submit.textContent = BlockKit.emojify(modal.submit.text);
    }
  }

  function closeModal(allViews) {
    post("/sandbox/close", { all_views: allViews });
  }

  // -- composing ---------------------------------------------------------------------------

  function autosize(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight, 200) + "px";
  }

  function wireComposer(form, textarea, threadOf) {
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", () => autosize(textarea));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text || !active) return;
      textarea.value = "";
      autosize(textarea);
      stickToBottom = true;
      const answer = await post("/sandbox/send", { conversation: active, text, thread_ts: threadOf() });
      if (!answer || !answer.ok) {
        textarea.value = text;
        autosize(textarea);
      }
    });
  }

  // -- state -------------------------------------------------------------------------------

  function render() {
    renderSidebar();
    renderConversation();
    renderThread();
    renderHome();
    renderModal();
    stickToBottom = false;
  }

  function apply(next) {
    state = next;
    if (!homeOpen && (!active || !conversation(active))) active = state.conversations.length ? state.conversations[0].id : null;
    render();
  }

  function connect() {
    const status = $("connection");
    const events = new EventSource("/sandbox/events");
    events.onopen = () => {
      status.textContent = UI.live;
      status.classList.add("connection-live");
    };
    events.onerror = () => {
      status.textContent = UI.reconnecting;
      status.classList.remove("connection-live");
    };
    events.onmessage = (event) => apply(JSON.parse(event.data));
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (state && state.modal) {
      event.preventDefault();
      closeModal(true);
    } else if (openThread !== null) {
      event.preventDefault();
      closeThread();
    }
  });
  $("thread-close").addEventListener("click", closeThread);
  $("home-button").addEventListener("click", showHome);
  $("assistant-button").addEventListener("click", openAssistant);
  wireComposer(view.composer, view.input, () => null);
  wireComposer(view.threadComposer, view.threadInput, () => openThread);
  $("connection").textContent = UI.connecting;
  refresh().then(() => view.input.focus());
  connect();
})();
