import { act, render, screen } from '@testing-library/react';
import { useNow } from './useNow';

function Clock() {
  return <p>{useNow(1000)}</p>;
}

describe('useNow', () => {
  it('re-renders with the time every interval, and stops when unmounted', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const { unmount } = render(<Clock />);
      expect(screen.getByText('1000000')).toBeInTheDocument();
      act(() => jest.advanceTimersByTime(1000));
      expect(screen.getByText('1001000')).toBeInTheDocument();
      unmount();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
