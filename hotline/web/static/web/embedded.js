// A page shown inside another Hotline page (the agent desktop's order panel)
// leaves out the top bar and the menu. Runs before the body is drawn.
if (window.top !== window.self) {
  document.documentElement.classList.add("embedded");
}
