/**
 * Whether the last input was the keyboard, as the browser's `:focus-visible` decides: a focus that
 * follows a key press shows its tooltip, one that follows a click or a tap (or that a dialog puts
 * back when it closes after a click) does not. Read from document-level listeners in the capture
 * phase, so no handler that stops an event hides it.
 */
let keyboard = false

if (typeof document !== 'undefined') {
  document.addEventListener(
    'keydown',
    (e) => {
      // A shortcut (Ctrl+C, Cmd+Tab) is not keyboard navigation.
      if (!e.metaKey && !e.ctrlKey && !e.altKey) keyboard = true
    },
    true,
  )
  for (const type of ['pointerdown', 'mousedown', 'touchstart'] as const) document.addEventListener(type, () => (keyboard = false), true)
}

export function lastInputWasKeyboard(): boolean {
  return keyboard
}
